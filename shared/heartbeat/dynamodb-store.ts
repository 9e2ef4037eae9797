import { ConditionalCheckFailedException, ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { pairKey, type HeartbeatStore, type PairState, type PairStatus } from './store.ts';

/**
 * The heartbeat table: one item per (account, region), `pk = <account>#<region>`, attributes
 * `account`, `region`, `lastSeenMs`, `expectedSinceMs`, `status`, `statusSinceMs`, `ttl`.
 * A heartbeat is one conditional UpdateItem; the check is one paginated Scan (17,000 items of
 * ~150 bytes at 1,000 accounts x 17 regions: about 2.5 MB, 320 read units, every 5 minutes) plus
 * one conditional UpdateItem per pair that changes. Items expire `ttlDays` after their last
 * heartbeat (or after they were first expected), so an account that left the organization stops
 * being watched after one silence alert.
 */
export class DynamoHeartbeatStore implements HeartbeatStore {
  readonly stats = { writes: 0, conditionalFailures: 0, scans: 0 };

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly ttlDays = 30,
  ) {}

  private ttl(fromMs: number): AttributeValue {
    return { N: String(Math.floor(fromMs / 1000) + this.ttlDays * 86_400) };
  }

  /** Runs a conditional update; false when its condition failed. */
  private async conditional(command: UpdateItemCommand): Promise<boolean> {
    this.stats.writes += 1;
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.stats.conditionalFailures += 1;
      return false;
    }
  }

  record(account: string, region: string, timeMs: number): Promise<boolean> {
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: pairKey(account, region) } },
        UpdateExpression: 'SET #account = :a, #region = :r, lastSeenMs = :t, #ttl = :ttl, #status = if_not_exists(#status, :ok)',
        ConditionExpression: 'attribute_not_exists(lastSeenMs) OR lastSeenMs < :t',
        ExpressionAttributeNames: { '#account': 'account', '#region': 'region', '#ttl': 'ttl', '#status': 'status' },
        ExpressionAttributeValues: { ':a': { S: account }, ':r': { S: region }, ':t': { N: String(timeMs) }, ':ttl': this.ttl(timeMs), ':ok': { S: 'ok' } },
      }),
    );
  }

  async list(): Promise<PairState[]> {
    const out: PairState[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      this.stats.scans += 1;
      const page = await this.client.send(new ScanCommand({ TableName: this.tableName, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const item of page.Items ?? []) {
        const state = fromItem(item);
        if (state) out.push(state);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  expect(account: string, region: string, nowMs: number): Promise<boolean> {
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: pairKey(account, region) } },
        UpdateExpression: 'SET #account = :a, #region = :r, expectedSinceMs = :now, #status = :ok, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeNames: { '#account': 'account', '#region': 'region', '#ttl': 'ttl', '#status': 'status' },
        ExpressionAttributeValues: { ':a': { S: account }, ':r': { S: region }, ':now': { N: String(nowMs) }, ':ok': { S: 'ok' }, ':ttl': this.ttl(nowMs) },
      }),
    );
  }

  transition(account: string, region: string, from: PairStatus, to: PairStatus, nowMs: number): Promise<boolean> {
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: pairKey(account, region) } },
        UpdateExpression: 'SET #status = :to, statusSinceMs = :now',
        ConditionExpression: 'attribute_exists(pk) AND #status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': { S: to }, ':from': { S: from }, ':now': { N: String(nowMs) } },
      }),
    );
  }
}

/** An item as a PairState; an item that is not one of ours (malformed) is left out. */
function fromItem(item: Record<string, AttributeValue>): PairState | undefined {
  const account = item['account']?.S;
  const region = item['region']?.S;
  if (!account || !region) return undefined;
  const num = (name: string): number | undefined => {
    const v = Number(item[name]?.N);
    return item[name]?.N !== undefined && Number.isFinite(v) ? v : undefined;
  };
  const state: PairState = { account, region, status: item['status']?.S === 'silent' ? 'silent' : 'ok' };
  const lastSeenMs = num('lastSeenMs');
  const expectedSinceMs = num('expectedSinceMs');
  const statusSinceMs = num('statusSinceMs');
  if (lastSeenMs !== undefined) state.lastSeenMs = lastSeenMs;
  if (expectedSinceMs !== undefined) state.expectedSinceMs = expectedSinceMs;
  if (statusSinceMs !== undefined) state.statusSinceMs = statusSinceMs;
  return state;
}
