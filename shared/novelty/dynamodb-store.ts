import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoItemApi, type DynamoLike, dynamoApi } from '../sinks/transport/apis.ts';
import { emptyHours, type HoursProfile } from './hours.ts';
import { DIMENSIONS, MAX_VALUES_PER_DIMENSION, PROFILE_TTL_DAYS, valueOf, type Dimension, type NoveltyProfile, type NoveltyStore, type Observation } from './store.ts';

/** Attribute-name prefix of each dimension's values (`n:203.0.113.0/24` = first-seen ms). */
const PREFIX: Record<Dimension, string> = { networks: 'n:', agents: 'u:', regions: 'r:' };

/**
 * DynamoDB novelty state: one item per (actor, change kind) (`pk`); each seen value is a top-level
 * number attribute holding when it was first seen (`SET … = if_not_exists(…)`), plus a count,
 * first-seen time, the novel eventIds and a TTL refreshed on every write. One UpdateItem per
 * finding returns the item as it was before (ALL_OLD), so the verdict and the learning are one
 * atomic step. A dimension stops growing at MAX_VALUES_PER_DIMENSION (checked on the returned
 * state; at most a concurrent write or two past it).
 */
export class DynamoNoveltyStore implements NoveltyStore {
  readonly stats = { reads: 0, writes: 0 };
  /** Keys whose dimension is known to be full: stop adding to it. Bounded by the keys this instance sees. */
  private readonly saturated = new Map<string, Set<Dimension>>();

  private readonly client: DynamoItemApi;

  /** `client`: the signed-HTTP client (deployed handlers) or an SDK `DynamoDBClient` (tests, tools). */
  constructor(
    client: DynamoLike,
    private readonly tableName: string,
  ) {
    this.client = dynamoApi(client);
  }

  async observe(o: Observation): Promise<NoveltyProfile | undefined> {
    const full = this.saturated.get(o.key);
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, AttributeValue> = {
      ':one': { N: '1' },
      ':t': { N: String(o.timeMs) },
      ':ttl': { N: String(Math.floor(o.timeMs / 1000) + PROFILE_TTL_DAYS * 86_400) },
    };
    const sets = ['firstSeen = if_not_exists(firstSeen, :t)', '#ttl = :ttl'];
    DIMENSIONS.forEach((dim, i) => {
      const value = valueOf(o, dim);
      if (value === undefined || full?.has(dim)) return;
      names[`#v${i}`] = `${PREFIX[dim]}${value}`;
      sets.push(`#v${i} = if_not_exists(#v${i}, :t)`);
    });
    this.stats.writes += 1;
    const res = await this.client.updateItem({
      TableName: this.tableName,
      Key: { pk: { S: o.key } },
      UpdateExpression: `SET ${sets.join(', ')} ADD cnt :one`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_OLD',
    });
    const old = res.Attributes;
    if (!old || !old['cnt']) return undefined;
    const profile: NoveltyProfile = {
      networks: new Map(),
      agents: new Map(),
      regions: new Map(),
      count: Number(old['cnt']?.N ?? 0),
      firstSeenMs: Number(old['firstSeen']?.N ?? o.timeMs),
      novelEvents: new Set(old['novel']?.SS ?? []),
    };
    for (const [name, attr] of Object.entries(old)) {
      const dim = DIMENSIONS.find((d) => name.startsWith(PREFIX[d]));
      if (dim && attr.N !== undefined) profile[dim].set(name.slice(PREFIX[dim].length), Number(attr.N));
    }
    for (const dim of DIMENSIONS) {
      if (profile[dim].size < MAX_VALUES_PER_DIMENSION) continue;
      const set = this.saturated.get(o.key) ?? new Set<Dimension>();
      set.add(dim);
      this.saturated.set(o.key, set);
    }
    return profile;
  }

  async markNovel(key: string, eventId: string): Promise<void> {
    this.stats.writes += 1;
    await this.client.updateItem({
      TableName: this.tableName,
      Key: { pk: { S: key } },
      UpdateExpression: 'ADD novel :e',
      ExpressionAttributeValues: { ':e': { SS: [eventId] } },
    });
  }

  /**
   * The actor's hours profile is its own item (`pk` = the hours key): one number attribute per UTC
   * hour (`h00`…`h23`, atomic `ADD`), the total and the first-seen time; 26 attributes at most.
   */
  async observeHour(key: string, hour: number, timeMs: number): Promise<HoursProfile | undefined> {
    this.stats.writes += 1;
    const res = await this.client.updateItem({
      TableName: this.tableName,
      Key: { pk: { S: key } },
      UpdateExpression: 'SET firstSeen = if_not_exists(firstSeen, :t), #ttl = :ttl ADD #h :one, cnt :one',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#h': hourAttribute(hour) },
      ExpressionAttributeValues: {
        ':one': { N: '1' },
        ':t': { N: String(timeMs) },
        ':ttl': { N: String(Math.floor(timeMs / 1000) + PROFILE_TTL_DAYS * 86_400) },
      },
      ReturnValues: 'ALL_OLD',
    });
    const old = res.Attributes;
    if (!old || !old['cnt']) return undefined;
    const profile = emptyHours(Number(old['firstSeen']?.N ?? timeMs));
    for (let h = 0; h < 24; h++) profile.counts[h] = Number(old[hourAttribute(h)]?.N ?? 0);
    profile.total = Number(old['cnt']?.N ?? 0);
    return profile;
  }
}

/** `h03`: the attribute counting actions at 03:xx UTC. */
const hourAttribute = (hour: number): string => `h${String(hour).padStart(2, '0')}`;
