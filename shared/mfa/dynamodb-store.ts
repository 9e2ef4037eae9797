import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MfaStoreConflictError } from './errors.ts';
import type { MfaStore, PendingRemoval } from './store.ts';

/** Partition key of the one item holding every pending removal (in the rates table: keys there start with a dimension letter and `|`). */
export const MFA_PENDING_KEY = 'mfa|pending';
const MAX_ATTEMPTS = 5;

/**
 * DynamoDB MFA-replacement state: the pending removals of the whole organization in one item
 * (`pk = mfa|pending`, `items` = JSON, `ver` = version). A handful of users replace a device at the
 * same time, so one item (400 KB, ~600 pending removals) is enough and one strongly consistent
 * GetItem answers `due`. Every change is a conditional PutItem on `ver`; on a conflict with another
 * invocation it re-reads and retries, and after `MAX_ATTEMPTS` throws `MfaStoreConflictError` (the
 * batch is then redelivered by SQS).
 */
export class DynamoMfaStore implements MfaStore {
  readonly stats = { reads: 0, writes: 0, conditionalFailures: 0 };

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** DynamoDB TTL of the item after its last change, in days. */
    private readonly ttlDays = 14,
  ) {}

  private async load(): Promise<{ version: number; items: Record<string, PendingRemoval> }> {
    this.stats.reads += 1;
    const res = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: MFA_PENDING_KEY } }, ConsistentRead: true }));
    const version = Number(res.Item?.['ver']?.N ?? 0);
    const text = res.Item?.['items']?.S;
    let items: Record<string, PendingRemoval> = {};
    if (text) {
      try {
        items = JSON.parse(text) as Record<string, PendingRemoval>;
      } catch {
        items = {}; // a corrupt item is replaced by the next write; nothing pending can be read from it
      }
    }
    return { version: Number.isFinite(version) ? version : 0, items };
  }

  /** Applies `change` to a fresh read and writes it back conditionally; `change` returning false means nothing to write. */
  private async mutate(change: (items: Record<string, PendingRemoval>) => boolean | void): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const { version, items } = await this.load();
      if (change(items) === false) return;
      this.stats.writes += 1;
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { pk: { S: MFA_PENDING_KEY }, items: { S: JSON.stringify(items) }, ver: { N: String(version + 1) }, ttl: { N: String(Math.floor(Date.now() / 1000) + this.ttlDays * 86_400) } },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'ver = :v',
            ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(version) } } }),
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        this.stats.conditionalFailures += 1;
      }
    }
    throw new MfaStoreConflictError(MAX_ATTEMPTS);
  }

  async get(key: string): Promise<PendingRemoval | undefined> {
    return (await this.load()).items[key];
  }

  async put(item: PendingRemoval): Promise<void> {
    await this.mutate((items) => {
      items[item.key] = item;
    });
  }

  async delete(key: string, eventId?: string): Promise<void> {
    await this.mutate((items) => {
      if (!items[key] || (eventId !== undefined && items[key].eventId !== eventId)) return false;
      delete items[key];
      return true;
    });
  }

  async due(timeMs: number): Promise<PendingRemoval[]> {
    return Object.values((await this.load()).items)
      .filter((i) => i.deadlineMs <= timeMs)
      .sort((a, b) => a.deadlineMs - b.deadlineMs);
  }

  async all(): Promise<PendingRemoval[]> {
    return Object.values((await this.load()).items).sort((a, b) => a.deadlineMs - b.deadlineMs);
  }
}
