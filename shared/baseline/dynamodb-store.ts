import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BaselineConflictError } from './errors.ts';
import type { Profile } from './profile.ts';
import type { BaselineStore, ProfileChange } from './store.ts';

/** Partition-key prefix of baseline profiles in the rates table (rate keys start `p|`, `k|`, `a|`, `e|`; MFA's item is `mfa|pending`). */
export const BASELINE_KEY_PREFIX = 'b|';
const MAX_ATTEMPTS = 5;
/** Profiles remembered per execution environment; past it the cache starts again. */
const CACHE_LIMIT = 20_000;

interface Cached {
  version: number;
  profile: Profile | undefined;
}

/**
 * Baseline profiles in the rates table, one item per profile: `pk = b|<behaviour>|<key>`, `p` =
 * the profile JSON, `ver` = version, `ttl` = wall clock + `ttlDays` at each write. Reads go through
 * a per-environment cache (a known profile that needs no change costs nothing); every write is a
 * conditional PutItem on the version read, and a conflict re-reads the item strongly consistent
 * and re-applies the change (so a stale cache can never report a value twice), at most
 * `MAX_ATTEMPTS` times, then `BaselineConflictError` fails the batch for SQS to redeliver.
 */
export class DynamoBaselineStore implements BaselineStore {
  readonly stats = { reads: 0, writes: 0, conflicts: 0 };
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly ttlDays = 365,
  ) {}

  private async read(key: string): Promise<Cached> {
    this.stats.reads += 1;
    const res = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: BASELINE_KEY_PREFIX + key } }, ConsistentRead: true }));
    const version = Number(res.Item?.['ver']?.N ?? 0);
    let profile: Profile | undefined;
    const text = res.Item?.['p']?.S;
    if (text) {
      try {
        profile = JSON.parse(text) as Profile;
      } catch {
        profile = undefined; // a corrupt item is relearned; the next write replaces it (version kept)
      }
    }
    const entry = { version: Number.isFinite(version) ? version : 0, profile };
    this.remember(key, entry);
    return entry;
  }

  private remember(key: string, entry: Cached): void {
    if (this.cache.size >= CACHE_LIMIT && !this.cache.has(key)) this.cache.clear();
    this.cache.set(key, entry);
  }

  async update<R>(key: string, change: ProfileChange<R>): Promise<R> {
    let current = this.cache.get(key) ?? (await this.read(key));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const copy = current.profile === undefined ? undefined : (structuredClone(current.profile) as Profile);
      const { next, result } = change(copy);
      if (!next) return result;
      this.stats.writes += 1;
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { pk: { S: BASELINE_KEY_PREFIX + key }, p: { S: JSON.stringify(next) }, ver: { N: String(current.version + 1) }, ttl: { N: String(Math.floor(Date.now() / 1000) + this.ttlDays * 86_400) } },
            ConditionExpression: current.version === 0 ? 'attribute_not_exists(pk)' : 'ver = :v',
            ...(current.version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(current.version) } } }),
          }),
        );
        this.remember(key, { version: current.version + 1, profile: next });
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) {
          this.cache.delete(key);
          throw error;
        }
        this.stats.conflicts += 1;
        current = await this.read(key);
      }
    }
    throw new BaselineConflictError(key, MAX_ATTEMPTS);
  }
}
