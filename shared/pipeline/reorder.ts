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
  private readonly heap: Array<{ t: number; seq: number; e: TrailEvent }> = [];
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
    return this.heap.length;
  }

  /** Adds an event; returns the events now ready, oldest first. */
  push(event: TrailEvent): TrailEvent[] {
    const t = event.timeMs;
    // No usable time: nothing to order by; the processors skip it with their own reason.
    if (!Number.isFinite(t)) return [event];
    if (t < this.releasedThrough) {
      this.late += 1;
      return [event];
    }
    this.insert({ t, seq: this.seq++, e: event });
    if (this.heap.length > this.maxHeld) this.maxHeld = this.heap.length;
    if (t > this.newest) this.newest = t;
    return this.release(this.newest - this.windowMs);
  }

  /** End of input: everything still held, oldest first. */
  drain(): TrailEvent[] {
    return this.release(Number.POSITIVE_INFINITY);
  }

  private release(through: number): TrailEvent[] {
    const out: TrailEvent[] = [];
    const keep = through === Number.POSITIVE_INFINITY ? 0 : this.minHeld;
    while (this.heap.length > keep && (this.heap[0] as { t: number }).t <= through) {
      const top = this.pop();
      out.push(top.e);
      if (top.t > this.releasedThrough) this.releasedThrough = top.t;
    }
    return out;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i] as { t: number; seq: number };
    const b = this.heap[j] as { t: number; seq: number };
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const tmp = this.heap[i] as (typeof this.heap)[number];
    this.heap[i] = this.heap[j] as (typeof this.heap)[number];
    this.heap[j] = tmp;
  }

  private insert(item: (typeof this.heap)[number]): void {
    this.heap.push(item);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): (typeof this.heap)[number] {
    const top = this.heap[0] as (typeof this.heap)[number];
    const last = this.heap.pop() as (typeof this.heap)[number];
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.less(l, m)) m = l;
        if (r < this.heap.length && this.less(r, m)) m = r;
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

function sameCall(x: { source: string; name: string; timeMs: number }, e: Pick<TrailEvent, 'source' | 'name' | 'timeMs'>): boolean {
  return x.source === e.source && x.name === e.name && x.timeMs === e.timeMs;
}

/**
 * `RecentKeys` for events, keyed by what makes a CloudTrail record a duplicate (same eventID,
 * source, name and time), without building a key string per event: the eventID indexes, the rest
 * is compared. Same horizon and hour buckets as `RecentKeys`.
 */
export class RecentEvents {
  private readonly buckets = new Map<number, Map<string, { source: string; name: string; timeMs: number } | Array<{ source: string; name: string; timeMs: number }>>>();
  private newestBucket = Number.NEGATIVE_INFINITY;
  private static readonly BUCKET_MS = 3_600_000;

  constructor(readonly horizonMs: number) {}

  /** True if an event with the same eventID, source, name and time was seen within the horizon; otherwise remembers it. */
  seen(e: Pick<TrailEvent, 'id' | 'source' | 'name' | 'timeMs'>): boolean {
    const bucket = Number.isFinite(e.timeMs) ? Math.floor(e.timeMs / RecentEvents.BUCKET_MS) : 0;
    let map = this.buckets.get(bucket);
    const entry = { source: e.source, name: e.name, timeMs: e.timeMs };
    if (map) {
      const held = map.get(e.id);
      if (held !== undefined) {
        // No closure per call: this runs once per replayed event.
        if (Array.isArray(held) ? held.some((x) => sameCall(x, e)) : sameCall(held, e)) return true;
        // Same eventID, another call (never seen in practice; kept exact).
        map.set(e.id, Array.isArray(held) ? [...held, entry] : [held, entry]);
        return false;
      }
      map.set(e.id, entry);
    } else {
      map = new Map([[e.id, entry]]);
      this.buckets.set(bucket, map);
    }
    if (bucket > this.newestBucket) {
      this.newestBucket = bucket;
      const oldest = bucket - Math.ceil(this.horizonMs / RecentEvents.BUCKET_MS);
      for (const b of this.buckets.keys()) if (b < oldest) this.buckets.delete(b);
    }
    return false;
  }

  /** Events held (for tests). */
  get size(): number {
    let n = 0;
    for (const m of this.buckets.values()) for (const v of m.values()) n += Array.isArray(v) ? v.length : 1;
    return n;
  }
}
