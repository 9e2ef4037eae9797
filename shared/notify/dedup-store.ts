import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * "Alert once per (detection, CloudTrail eventID)": EventBridge and SNS both deliver at least once,
 * so the notifier claims a key before alerting. A claim is `in-progress` with a short expiry (longer
 * than one notifier run, shorter than Lambda's retry delay), and becomes `completed` once the alert
 * was delivered or dead-lettered. A notifier that timed out or crashed mid-delivery blocks retries
 * only until its claim expires; one that failed cleanly releases the claim at once. Each channel that
 * accepted the alert is recorded in `sent`, so a retry never re-sends to it. DynamoDB TTL (`ttl`,
 * epoch seconds) removes old records.
 *
 * Table: partition key `pk` (S), TTL attribute `ttl`.
 */
export interface DedupOptions {
  /**
   * How long an in-progress claim blocks others. Must exceed the notifier's timeout (so a live
   * invocation is never overtaken) and stay below timeout + Lambda's first retry delay (60 s), so the
   * retry after a timed-out invocation finds the claim expired and delivers.
   */
  inProgressMs: number;
  /** How long a completed record is kept; must exceed the longest upstream redelivery (EventBridge: 24 h). */
  retentionMs: number;
}

/** For the 120 s notify function: 130 s in progress (120 < 130 < 120 + 60), 72 h retention. */
export const DEFAULT_DEDUP: DedupOptions = { inProgressMs: 130_000, retentionMs: 72 * 3600_000 };

/** A claim taken: `sent` lists the channels an earlier, failed or timed-out run already delivered to. */
export type ClaimResult = { status: 'claimed'; sent: string[] } | { status: 'duplicate' };

/** The idempotency key of one finding. */
export function dedupKey(detection: string, eventId: string): string {
  return `${detection}#${eventId}`;
}

/**
 * The claim operations the notifier needs; the DynamoDB store below implements them, tests may use
 * the same class against dynalite.
 */
export interface ClaimStore {
  claim(key: string, now: number): Promise<ClaimResult>;
  markSent(key: string, channel: string): Promise<void>;
  complete(key: string, now: number, outcome: 'delivered' | 'digested' | 'dead-lettered' | 'recorded'): Promise<void>;
  release(key: string): Promise<void>;
}

export class DedupStore implements ClaimStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
    private readonly options: DedupOptions = DEFAULT_DEDUP,
  ) {}

  /**
   * Claims `key` for delivery: free, released, or in progress past its expiry. 'duplicate' when it
   * was completed or is being delivered right now. A re-claim returns the channels already sent.
   */
  async claim(key: string, now: number): Promise<ClaimResult> {
    try {
      const out = await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: key } },
          UpdateExpression: 'SET #s = :inProgress, expiresAt = :exp, #ttl = :ttl ADD claims :one',
          ConditionExpression: 'attribute_not_exists(pk) OR #s = :released OR (#s = :inProgress AND expiresAt < :now)',
          ExpressionAttributeNames: { '#s': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':inProgress': { S: 'in-progress' },
            ':released': { S: 'released' },
            ':now': { N: String(now) },
            ':exp': { N: String(now + this.options.inProgressMs) },
            ':ttl': { N: String(Math.ceil((now + this.options.retentionMs) / 1000)) },
            ':one': { N: '1' },
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { status: 'claimed', sent: out.Attributes?.['sent']?.SS ?? [] };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return { status: 'duplicate' };
      throw error;
    }
  }

  /** Records that `channel` accepted the alert, so no retry of this finding sends it there again. */
  async markSent(key: string, channel: string): Promise<void> {
    await this.ddb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: key } },
        UpdateExpression: 'ADD sent :c',
        ExpressionAttributeValues: { ':c': { SS: [channel] } },
      }),
    );
  }

  /** Marks `key` done: later deliveries of the same event are duplicates until the record expires. */
  async complete(key: string, now: number, outcome: 'delivered' | 'digested' | 'dead-lettered' | 'recorded'): Promise<void> {
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

  /**
   * Gives up a claim after a failure so the upstream retry can alert without waiting for expiry. The
   * record stays (status `released`) with its `sent` channels, so the retry skips those.
   */
  async release(key: string): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: key } },
          UpdateExpression: 'SET #s = :released REMOVE expiresAt',
          ConditionExpression: '#s = :inProgress',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' }, ':released': { S: 'released' } },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
}
