import type { TrailEvent } from '../model/types.ts';

/**
 * A bounded reorder window over a roughly time-ordered stream (CloudTrail log files: each file
 * spans minutes, files arrive in order): events are held in a min-heap by event time and released
 * once they are older than the newest event seen minus `windowMs` AND more than `minHeld` events
 * are held. So a small input (under `minHeld` events: sample folders, one incident's logs) is
 * sorted exactly, whatever order its files come in, and a large one is held to one window (or
 * `minHeld` events, whichever is more): memory is bounded, not by the stream. An event that
 * arrives after its time was released is late: it is released at once and counted (`late`), never
 * dropped.
 */
export class ReorderBuffer {
  // The heap in three parallel arrays (time, arrival order, event) instead of an item object per
  // event: nothing is allocated per push, and the GC has no item objects to promote while the
  // window holds them (the window holds tens of thousands). Times are plain doubles in a packed
  // array, arrival numbers small integers.
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly events: TrailEvent[] = [];
  private seq = 0;
  private newest = Number.NEGATIVE_INFINITY;
  private releasedThrough = Number.NEGATIVE_INFINITY;
  /** Events that arrived after the window had moved past their time. */
  late = 0;
  /** Most events held at once (for the benchmark and docs). */
  maxHeld = 0;

  constructor(
    readonly windowMs: number,
    readonly minHeld = 0,
  ) {}

  get size(): number {
    return this.events.length;
  }

  /**
   * Adds an event; appends the events now ready to `out`, oldest first, and returns `out`. The
   * stateful stage passes its own ready list, so nothing is allocated per event.
   */
  push(event: TrailEvent, out: TrailEvent[] = []): TrailEvent[] {
    const t = event.timeMs;
    // No usable time: nothing to order by; the processors skip it with their own reason.
    if (!Number.isFinite(t)) {
      out.push(event);
      return out;
    }
    if (t < this.releasedThrough) {
      this.late += 1;
      out.push(event);
      return out;
    }
    this.insert(t, this.seq++, event);
    if (this.events.length > this.maxHeld) this.maxHeld = this.events.length;
    if (t > this.newest) this.newest = t;
    return this.release(this.newest - this.windowMs, out);
  }

  /** End of input: everything still held, oldest first (appended to `out`). */
  drain(out: TrailEvent[] = []): TrailEvent[] {
    return this.release(Number.POSITIVE_INFINITY, out);
  }

  private release(through: number, out: TrailEvent[]): TrailEvent[] {
    const keep = through === Number.POSITIVE_INFINITY ? 0 : this.minHeld;
    while (this.events.length > keep && (this.times[0] as number) <= through) {
      const t = this.times[0] as number;
      out.push(this.pop());
      if (t > this.releasedThrough) this.releasedThrough = t;
    }
    return out;
  }

  private less(i: number, j: number): boolean {
    const a = this.times[i] as number;
    const b = this.times[j] as number;
    return a < b || (a === b && (this.seqs[i] as number) < (this.seqs[j] as number));
  }

  private swap(i: number, j: number): void {
    const { times, seqs, events } = this;
    const t = times[i] as number;
    times[i] = times[j] as number;
    times[j] = t;
    const s = seqs[i] as number;
    seqs[i] = seqs[j] as number;
    seqs[j] = s;
    const e = events[i] as TrailEvent;
    events[i] = events[j] as TrailEvent;
    events[j] = e;
  }

  private insert(t: number, seq: number, event: TrailEvent): void {
    this.times.push(t);
    this.seqs.push(seq);
    this.events.push(event);
    let i = this.events.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): TrailEvent {
    const { times, seqs, events } = this;
    const top = events[0] as TrailEvent;
    const lastT = times.pop() as number;
    const lastS = seqs.pop() as number;
    const lastE = events.pop() as TrailEvent;
    const n = events.length;
    if (n > 0) {
      times[0] = lastT;
      seqs[0] = lastS;
      events[0] = lastE;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < n && this.less(l, m)) m = l;
        if (r < n && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * Remembers record keys for a horizon of event time (hour buckets), so overlapping CloudTrail
 * files' duplicates are dropped without keeping every key of a multi-day replay: memory is bounded
 * by the events of `horizonMs`. A duplicate whose original is older than the horizon (relative to
 * the newest event seen) is not recognised; the rate detector's own eventID window still drops
 * near duplicates.
 */
export class RecentKeys {
  private readonly buckets = new Map<number, Set<string>>();
  private newestBucket = Number.NEGATIVE_INFINITY;
  private static readonly BUCKET_MS = 3_600_000;

  constructor(readonly horizonMs: number) {}

  /** True if `key` (of an event at `timeMs`) was seen within the horizon; otherwise remembers it. */
  seen(key: string, timeMs: number): boolean {
    const bucket = Number.isFinite(timeMs) ? Math.floor(timeMs / RecentKeys.BUCKET_MS) : 0;
    const set = this.buckets.get(bucket);
    if (set?.has(key)) return true;
    if (set) set.add(key);
    else this.buckets.set(bucket, new Set([key]));
    if (bucket > this.newestBucket) {
      this.newestBucket = bucket;
      const oldest = bucket - Math.ceil(this.horizonMs / RecentKeys.BUCKET_MS);
      for (const b of this.buckets.keys()) if (b < oldest) this.buckets.delete(b);
    }
    return false;
  }

  /** Keys held (for tests). */
  get size(): number {
    let n = 0;
    for (const s of this.buckets.values()) n += s.size;
    return n;
  }
}

/** One hour of event time: each eventID's row in parallel arrays (no object per event; rows of one id beyond the first in `more`). */
interface DedupeBucket {
  rows: Map<string, number>;
  sources: string[];
  names: string[];
  times: number[];
  /** Further rows of an eventID already held with another call (never seen in practice; kept exact). */
  more?: Map<string, number[]>;
}

/**
 * `RecentKeys` for events, keyed by what makes a CloudTrail record a duplicate (same eventID,
 * source, name and time), without building a key string or an object per event: the eventID
 * indexes a row of parallel arrays, the rest is compared. Same horizon and hour buckets as
 * `RecentKeys`. It holds one entry per event for the horizon, so what it allocates is what the GC
 * has to promote.
 */
export class RecentEvents {
  private readonly buckets = new Map<number, DedupeBucket>();
  private newestBucket = Number.NEGATIVE_INFINITY;
  private static readonly BUCKET_MS = 3_600_000;

  constructor(readonly horizonMs: number) {}

  /** True if an event with the same eventID, source, name and time was seen within the horizon; otherwise remembers it. */
  seen(e: Pick<TrailEvent, 'id' | 'source' | 'name' | 'timeMs'>): boolean {
    const bucket = Number.isFinite(e.timeMs) ? Math.floor(e.timeMs / RecentEvents.BUCKET_MS) : 0;
    let b = this.buckets.get(bucket);
    if (b) {
      const row = b.rows.get(e.id);
      if (row !== undefined) {
        if (RecentEvents.same(b, row, e)) return true;
        const more = b.more?.get(e.id);
        if (more) for (const r of more) if (RecentEvents.same(b, r, e)) return true;
        // Same eventID, another call: remembered beside the first.
        const added = RecentEvents.add(b, e);
        if (more) more.push(added);
        else (b.more ??= new Map()).set(e.id, [added]);
        return false;
      }
      b.rows.set(e.id, RecentEvents.add(b, e));
    } else {
      b = { rows: new Map(), sources: [], names: [], times: [] };
      b.rows.set(e.id, RecentEvents.add(b, e));
      this.buckets.set(bucket, b);
    }
    if (bucket > this.newestBucket) {
      this.newestBucket = bucket;
      const oldest = bucket - Math.ceil(this.horizonMs / RecentEvents.BUCKET_MS);
      for (const k of this.buckets.keys()) if (k < oldest) this.buckets.delete(k);
    }
    return false;
  }

  private static add(b: DedupeBucket, e: Pick<TrailEvent, 'source' | 'name' | 'timeMs'>): number {
    b.sources.push(e.source);
    b.names.push(e.name);
    b.times.push(e.timeMs);
    return b.times.length - 1;
  }

  private static same(b: DedupeBucket, row: number, e: Pick<TrailEvent, 'source' | 'name' | 'timeMs'>): boolean {
    return b.sources[row] === e.source && b.names[row] === e.name && b.times[row] === e.timeMs;
  }

  /** Events held (for tests). */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.times.length;
    return n;
  }
}
