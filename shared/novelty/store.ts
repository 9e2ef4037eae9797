/**
 * What the novelty model remembers for one (actor, change kind): the networks, user-agent families
 * and regions it was seen from, how often, and the eventIds that were judged novel (so a redelivered
 * event is judged the same way twice — CloudTrail → EventBridge → Lambda is at least once).
 */
export interface NoveltyProfile {
  networks: Set<string>;
  agents: Set<string>;
  regions: Set<string>;
  count: number;
  firstSeenMs: number;
  novelEvents: Set<string>;
}

/** One finding's observation of its (actor, change kind). */
export interface Observation {
  key: string;
  eventId: string;
  timeMs: number;
  network?: string;
  agent?: string;
  region?: string;
}

/** Per-dimension cap: past it, the actor uses so many values that a new one is not news. */
export const MAX_VALUES_PER_DIMENSION = 50;
/** Items expire this long after they were last seen (an actor unseen for 90 days is new again). */
export const PROFILE_TTL_DAYS = 90;

/**
 * Novelty state behind a small interface, like the rate store: DynamoDB when deployed, memory in
 * replay and tests. `observe` records the observation and returns the profile as it was BEFORE it
 * (undefined: never seen), atomically, so two concurrent writers never both miss or both claim news.
 */
export interface NoveltyStore {
  observe(observation: Observation): Promise<NoveltyProfile | undefined>;
  /** Remembers that this event was judged novel (for redeliveries). */
  markNovel(key: string, eventId: string): Promise<void>;
  readonly stats: { reads: number; writes: number };
}

/** In-memory store for replay and unit tests: same semantics as the DynamoDB one, bounded by keys. */
export class MemoryNoveltyStore implements NoveltyStore {
  readonly stats = { reads: 0, writes: 0 };
  private readonly items = new Map<string, NoveltyProfile>();

  async observe(o: Observation): Promise<NoveltyProfile | undefined> {
    this.stats.writes += 1;
    const item = this.items.get(o.key);
    const before = item ? clone(item) : undefined;
    const next = item ?? { networks: new Set<string>(), agents: new Set<string>(), regions: new Set<string>(), count: 0, firstSeenMs: o.timeMs, novelEvents: new Set<string>() };
    add(next.networks, o.network);
    add(next.agents, o.agent);
    add(next.regions, o.region);
    next.count += 1;
    next.firstSeenMs = Math.min(next.firstSeenMs, o.timeMs);
    this.items.set(o.key, next);
    return before;
  }

  async markNovel(key: string, eventId: string): Promise<void> {
    this.stats.writes += 1;
    this.items.get(key)?.novelEvents.add(eventId);
  }

  /** Number of (actor, change kind) profiles held. */
  get size(): number {
    return this.items.size;
  }
}

function add(set: Set<string>, value: string | undefined): void {
  if (value !== undefined && set.size < MAX_VALUES_PER_DIMENSION) set.add(value);
}

function clone(p: NoveltyProfile): NoveltyProfile {
  return { ...p, networks: new Set(p.networks), agents: new Set(p.agents), regions: new Set(p.regions), novelEvents: new Set(p.novelEvents) };
}
