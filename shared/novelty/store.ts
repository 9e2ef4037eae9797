import { emptyHours, type HoursProfile } from './hours.ts';

/**
 * What the novelty model remembers for one (actor, change kind): each network, user-agent family
 * and region it was seen from with the time it was first seen, how often the change was made, and
 * the eventIds that were judged novel (so a redelivered event is judged the same way twice —
 * CloudTrail → EventBridge → Lambda is at least once).
 */
export interface NoveltyProfile {
  /** Value → first seen (epoch ms). */
  networks: Map<string, number>;
  agents: Map<string, number>;
  regions: Map<string, number>;
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

export type Dimension = 'networks' | 'agents' | 'regions';
export const DIMENSIONS: readonly Dimension[] = ['networks', 'agents', 'regions'];
/** The observation's value for a dimension. */
export function valueOf(o: Observation, dim: Dimension): string | undefined {
  return dim === 'networks' ? o.network : dim === 'agents' ? o.agent : o.region;
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
  /**
   * Counts one action of a person at UTC `hour` under `key` (the actor's hours profile) and returns
   * the profile as it was before, atomically like `observe` (undefined: never seen).
   */
  observeHour(key: string, hour: number, timeMs: number): Promise<HoursProfile | undefined>;
  readonly stats: { reads: number; writes: number };
}

/** In-memory store for replay and unit tests: same semantics as the DynamoDB one, bounded by keys. */
export class MemoryNoveltyStore implements NoveltyStore {
  readonly stats = { reads: 0, writes: 0 };
  private readonly items = new Map<string, NoveltyProfile>();
  private readonly hours = new Map<string, HoursProfile>();

  async observe(o: Observation): Promise<NoveltyProfile | undefined> {
    this.stats.writes += 1;
    const item = this.items.get(o.key);
    const before = item ? clone(item) : undefined;
    const next = item ?? { networks: new Map<string, number>(), agents: new Map<string, number>(), regions: new Map<string, number>(), count: 0, firstSeenMs: o.timeMs, novelEvents: new Set<string>() };
    for (const dim of DIMENSIONS) {
      const value = valueOf(o, dim);
      const seen = next[dim];
      // Like DynamoDB's if_not_exists: the first write of a value keeps its time.
      if (value !== undefined && !seen.has(value) && seen.size < MAX_VALUES_PER_DIMENSION) seen.set(value, o.timeMs);
    }
    next.count += 1;
    this.items.set(o.key, next);
    return before;
  }

  async markNovel(key: string, eventId: string): Promise<void> {
    this.stats.writes += 1;
    this.items.get(key)?.novelEvents.add(eventId);
  }

  async observeHour(key: string, hour: number, timeMs: number): Promise<HoursProfile | undefined> {
    this.stats.writes += 1;
    const item = this.hours.get(key);
    const before = item ? { ...item, counts: [...item.counts] } : undefined;
    const next = item ?? emptyHours(timeMs);
    next.counts[hour] = (next.counts[hour] ?? 0) + 1;
    next.total += 1;
    this.hours.set(key, next);
    return before;
  }

  /** Number of (actor, change kind) profiles held. */
  get size(): number {
    return this.items.size;
  }
}

function clone(p: NoveltyProfile): NoveltyProfile {
  return { ...p, networks: new Map(p.networks), agents: new Map(p.agents), regions: new Map(p.regions), novelEvents: new Set(p.novelEvents) };
}
