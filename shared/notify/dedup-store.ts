import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * "Alert once per (detection, CloudTrail eventID)": EventBridge and SNS both deliver at least once,
 * so the notifier claims a key before alerting. A claim is `in-progress` with a short expiry (longer
 * than one notifier run), and becomes `completed` once the alert was delivered or dead-lettered. A
 * notifier that crashed mid-delivery therefore blocks retries only until its claim expires; one that
 * failed cleanly releases the claim at once. DynamoDB TTL (`ttl`, epoch seconds) removes old records.
 *
 * Table: partition key `pk` (S), TTL attribute `ttl`.
 */
export interface DedupOptions {
  /** How long an in-progress claim blocks others; must exceed the notifier's timeout. */
  inProgressMs: number;
  /** How long a completed record is kept; must exceed the longest upstream redelivery (EventBridge: 24 h). */
  retentionMs: number;
}

export const DEFAULT_DEDUP: DedupOptions = { inProgressMs: 5 * 60_000, retentionMs: 72 * 3600_000 };

export type ClaimResult = 'claimed' | 'duplicate';

/** The idempotency key of one finding. */
export function dedupKey(detection: string, eventId: string): string {
  return `${detection}#${eventId}`;
}

export class DedupStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly options: DedupOptions = DEFAULT_DEDUP,
  ) {}

  /** Claims `key` for delivery. 'duplicate' when it was completed, or is being delivered right now. */
  async claim(key: string, now: number): Promise<ClaimResult> {
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: key },
            status: { S: 'in-progress' },
            expiresAt: { N: String(now + this.options.inProgressMs) },
            ttl: { N: String(Math.ceil((now + this.options.retentionMs) / 1000)) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#s = :inProgress AND expiresAt < :now)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' }, ':now': { N: String(now) } },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return 'duplicate';
      throw error;
    }
  }

  /** Marks `key` done: later deliveries of the same event are duplicates until the record expires. */
  async complete(key: string, now: number, outcome: 'delivered' | 'digested' | 'dead-lettered'): Promise<void> {
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: key } },
        UpdateExpression: 'SET #s = :completed, outcome = :outcome, completedAt = :now, #ttl = :ttl REMOVE expiresAt',
        ExpressionAttributeNames: { '#s': 'status', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':completed': { S: 'completed' },
          ':outcome': { S: outcome },
          ':now': { N: String(now) },
          ':ttl': { N: String(Math.ceil((now + this.options.retentionMs) / 1000)) },
        },
      }),
    );
  }

  /** Gives up a claim after a failure so the upstream retry can alert without waiting for expiry. */
  async release(key: string): Promise<void> {
    try {
      await this.ddb.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: { S: key } },
          ConditionExpression: '#s = :inProgress',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' } },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
