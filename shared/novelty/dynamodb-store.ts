import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_VALUES_PER_DIMENSION, PROFILE_TTL_DAYS, type NoveltyProfile, type NoveltyStore, type Observation } from './store.ts';

type Dimension = 'networks' | 'agents' | 'regions';

/**
 * DynamoDB novelty state: one item per (actor, change kind) (`pk`), the seen values as string
 * sets grown with atomic ADD, a count, first-seen time and a TTL refreshed on every write. One
 * UpdateItem per finding returns the item as it was before (ALL_OLD), so the verdict and the
 * learning are one atomic step. Sets stop growing at MAX_VALUES_PER_DIMENSION (a saturated
 * dimension is no longer news), checked on the returned state.
 */
export class DynamoNoveltyStore implements NoveltyStore {
  readonly stats = { reads: 0, writes: 0 };
  /** Keys whose dimension is known to be full: stop adding to it. Bounded by the keys this instance sees. */
  private readonly saturated = new Map<string, Set<Dimension>>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async observe(o: Observation): Promise<NoveltyProfile | undefined> {
    const full = this.saturated.get(o.key);
    const values: Record<string, AttributeValue> = {
      ':one': { N: '1' },
      ':t': { N: String(o.timeMs) },
      ':ttl': { N: String(Math.floor(o.timeMs / 1000) + PROFILE_TTL_DAYS * 86_400) },
    };
    const adds = ['cnt :one'];
    const dims: Array<[Dimension, string | undefined]> = [
      ['networks', o.network],
      ['agents', o.agent],
      ['regions', o.region],
    ];
    for (const [dim, value] of dims) {
      if (value === undefined || full?.has(dim)) continue;
      adds.push(`${dim} :${dim}`);
      values[`:${dim}`] = { SS: [value] };
    }
    this.stats.writes += 1;
    const res = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: o.key } },
        UpdateExpression: `SET firstSeen = if_not_exists(firstSeen, :t), #ttl = :ttl ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
    );
    const old = res.Attributes;
    if (!old || !old['cnt']) return undefined;
    const profile: NoveltyProfile = {
      networks: new Set(old['networks']?.SS ?? []),
      agents: new Set(old['agents']?.SS ?? []),
      regions: new Set(old['regions']?.SS ?? []),
      count: Number(old['cnt']?.N ?? 0),
      firstSeenMs: Number(old['firstSeen']?.N ?? o.timeMs),
      novelEvents: new Set(old['novel']?.SS ?? []),
    };
    for (const [dim] of dims) {
      if (profile[dim].size >= MAX_VALUES_PER_DIMENSION) {
        const set = this.saturated.get(o.key) ?? new Set<Dimension>();
        set.add(dim);
        this.saturated.set(o.key, set);
      }
    }
    return profile;
  }

  async markNovel(key: string, eventId: string): Promise<void> {
    this.stats.writes += 1;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: key } },
        UpdateExpression: 'ADD novel :e',
        ExpressionAttributeValues: { ':e': { SS: [eventId] } },
      }),
    );
  }
}
