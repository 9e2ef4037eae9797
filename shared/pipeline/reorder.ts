import type { TrailEvent } from '../model/types.ts';
import { eventIdHash } from '../model/id-hash.ts';

/** The reorder FIFO ring's first capacity (a power of two). */
const FIFO_FIRST_SLOTS = 1024;

/**
 * A bounded reorder window over a roughly time-ordered stream (CloudTrail log files: each file
 * spans minutes, files arrive in order): events are held by event time and released once they are
 * older than the newest event seen minus `windowMs` AND more than `minHeld` events are held. So a
 * small input (under `minHeld` events: sample folders, one incident's logs) is sorted exactly,
 * whatever order its files come in, and a large one is held to one window (or `minHeld` events,
 * whichever is more): memory is bounded, not by the stream. An event that arrives after its time
 * was released is late: it is released at once and counted (`late`), never dropped.
 *
 * Held events are in two queues: a FIFO of the events that arrived in time order (each no earlier
 * than the FIFO's last), which is sorted as it stands, and a min-heap of the others. Release takes
 * the smaller (by time, then arrival) of the FIFO's head and the heap's top: the same order a
 * single heap gives, but an in-order event (nearly all of them in CloudTrail files) costs O(1)
 * instead of two O(log n) sifts over a window of tens of thousands.
 */
export class ReorderBuffer {
  // The heap as parallel arrays (time, arrival order, event) instead of an item object per event:
  // nothing is allocated per push, and the GC has no item objects to promote while the window
  // holds them (the window holds tens of thousands). Times are plain doubles in a packed array,
  // arrival numbers small integers.
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly events: TrailEvent[] = [];
  // The FIFO as a ring over typed arrays (power-of-two capacity, doubled when full): `fifoCount`
  // entries from `fifoHead`. A ring, not an array shifted from the front: nothing is copied per release.
  private fifoTimes = new Float64Array(FIFO_FIRST_SLOTS);
  private fifoSeqs = new Float64Array(FIFO_FIRST_SLOTS);
  private fifoEvents: Array<TrailEvent | undefined> = new Array<TrailEvent | undefined>(FIFO_FIRST_SLOTS).fill(undefined);
  private fifoHead = 0;
  private fifoCount = 0;
  /** Time of the FIFO's last entry. */
  private fifoLast = Number.NEGATIVE_INFINITY;
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
    return this.events.length + this.fifoCount;
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
    if (this.fifoCount === 0 || t >= this.fifoLast) this.enqueue(t, this.seq++, event);
    else this.insert(t, this.seq++, event);
    const held = this.events.length + this.fifoCount;
    if (held > this.maxHeld) this.maxHeld = held;
    if (t > this.newest) this.newest = t;
    return this.release(this.newest - this.windowMs, out);
  }

  /** End of input: everything still held, oldest first (appended to `out`). */
  drain(out: TrailEvent[] = []): TrailEvent[] {
    return this.release(Number.POSITIVE_INFINITY, out);
  }

  private release(through: number, out: TrailEvent[]): TrailEvent[] {
    const keep = through === Number.POSITIVE_INFINITY ? 0 : this.minHeld;
    const { times, seqs } = this;
    while (this.events.length + this.fifoCount > keep) {
      const head = this.fifoHead;
      const headT = this.fifoCount > 0 ? (this.fifoTimes[head] as number) : Number.POSITIVE_INFINITY;
      // The FIFO's head goes first unless the heap's top is earlier (or as early and arrived first).
      const fromFifo = this.fifoCount > 0 && (times.length === 0 || headT < (times[0] as number) || (headT === times[0] && (this.fifoSeqs[head] as number) < (seqs[0] as number)));
      const t = fromFifo ? headT : (times[0] as number);
      if (t > through) break;
      if (fromFifo) {
        out.push(this.fifoEvents[head] as TrailEvent);
        this.fifoEvents[head] = undefined;
        this.fifoHead = (head + 1) & (this.fifoTimes.length - 1);
        this.fifoCount -= 1;
      } else {
        out.push(this.pop());
      }
      if (t > this.releasedThrough) this.releasedThrough = t;
    }
    return out;
  }

  /** Appends to the FIFO ring, doubling it (in order, from its head) when full. */
  private enqueue(t: number, seq: number, event: TrailEvent): void {
    let capacity = this.fifoTimes.length;
    if (this.fifoCount === capacity) {
      const times = new Float64Array(2 * capacity);
      const seqs = new Float64Array(2 * capacity);
      const events = new Array<TrailEvent | undefined>(2 * capacity).fill(undefined);
      for (let k = 0; k < capacity; k += 1) {
        const from = (this.fifoHead + k) & (capacity - 1);
        times[k] = this.fifoTimes[from] as number;
        seqs[k] = this.fifoSeqs[from] as number;
        events[k] = this.fifoEvents[from];
      }
      this.fifoTimes = times;
      this.fifoSeqs = seqs;
      this.fifoEvents = events;
      this.fifoHead = 0;
      capacity *= 2;
    }
    const at = (this.fifoHead + this.fifoCount) & (capacity - 1);
    this.fifoTimes[at] = t;
    this.fifoSeqs[at] = seq;
    this.fifoEvents[at] = event;
    this.fifoCount += 1;
    this.fifoLast = t;
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

/**
 * One hour of event time: a row per remembered record in parallel arrays (no object per event), and
 * an open-addressing index over the rows by eventID hash (linear probing; rows are never deleted, the
 * bucket goes as a whole). Rows of one eventID with different calls sit in the same probe run.
 */
interface DedupeBucket {
  /** 0 is empty, otherwise row + 1. */
  table: Int32Array;
  /** Rows held; the arrays below have room for at least as many (more: sized ahead, see `RecentEvents`). */
  rows: number;
  ids: string[];
  hashes: Int32Array;
  sources: string[];
  names: string[];
  times: Float64Array;
}

const FIRST_SLOTS = 1024;
/** Rows a first hour is sized for (later hours: as many as the previous one). */
const FIRST_ROWS = 512;

/**
 * `RecentKeys` for events, keyed by what makes a CloudTrail record a duplicate (same eventID,
 * source, name and time), without building a key string or an object per event. Same horizon and
 * hour buckets as `RecentKeys`. The index is a typed-array hash table rather than a `Map`: a lookup
 * that misses (nearly every event) reads integers, not the id strings of other events, and equal
 * hashes are confirmed on the strings, so the answers are exactly a set's (test/pipeline/reorder.test.ts
 * checks them against `RecentKeys`, which builds the key strings). It holds one entry per event for
 * the horizon, so what it allocates is what the GC has to promote.
 */
export class RecentEvents {
  private readonly buckets = new Map<number, DedupeBucket>();
  private newestBucket = Number.NEGATIVE_INFINITY;
  private lastKey = Number.NaN;
  private last: DedupeBucket | undefined;
  /** Rows of the bucket created last: a new hour is sized for as many (the arrays do not grow step by step). */
  private lastRows = 0;
  private static readonly BUCKET_MS = 3_600_000;

  constructor(readonly horizonMs: number) {}

  /** True if an event with the same eventID, source, name and time was seen within the horizon; otherwise remembers it. */
  seen(e: Pick<TrailEvent, 'id' | 'idHash' | 'source' | 'name' | 'timeMs'>): boolean {
    const bucket = Number.isFinite(e.timeMs) ? Math.floor(e.timeMs / RecentEvents.BUCKET_MS) : 0;
    let b = bucket === this.lastKey ? this.last : this.buckets.get(bucket);
    const h = eventIdHash(e);
    if (b) {
      const { table, hashes, ids, sources, names, times } = b;
      const mask = table.length - 1;
      let i = h & mask;
      for (;;) {
        const s = table[i] as number;
        if (s === 0) break;
        const r = s - 1;
        if (hashes[r] === h && ids[r] === e.id && sources[r] === e.source && names[r] === e.name && times[r] === e.timeMs) return true;
        i = (i + 1) & mask;
      }
      RecentEvents.add(b, i, h, e);
    } else {
      if (this.last) this.lastRows = this.last.rows;
      b = RecentEvents.bucket(this.lastRows);
      RecentEvents.add(b, h & (b.table.length - 1), h, e);
      this.buckets.set(bucket, b);
    }
    this.lastKey = bucket;
    this.last = b;
    if (bucket > this.newestBucket) {
      this.newestBucket = bucket;
      const oldest = bucket - Math.ceil(this.horizonMs / RecentEvents.BUCKET_MS);
      for (const k of this.buckets.keys()) if (k < oldest) this.buckets.delete(k);
      if (!this.buckets.has(this.lastKey)) this.last = undefined;
    }
    return false;
  }

  /**
   * An empty hour with room for `expected` rows (the previous hour's count): an hour's arrays are
   * allocated about once instead of growing by steps (each step a copy, ~3x the final size in all),
   * and its index starts at least half empty for them.
   */
  private static bucket(expected: number): DedupeBucket {
    const capacity = Math.max(FIRST_ROWS, expected);
    let slots = FIRST_SLOTS;
    while (slots < 2 * capacity) slots *= 2;
    return {
      table: new Int32Array(slots),
      rows: 0,
      ids: new Array<string>(capacity),
      hashes: new Int32Array(capacity),
      sources: new Array<string>(capacity),
      names: new Array<string>(capacity),
      times: new Float64Array(capacity),
    };
  }

  /** Adds a row at empty slot `slot`; past half full, the index doubles (rebuilt from the stored hashes). */
  private static add(b: DedupeBucket, slot: number, h: number, e: Pick<TrailEvent, 'id' | 'source' | 'name' | 'timeMs'>): void {
    const row = b.rows;
    if (row === b.hashes.length) {
      // More rows than the hour was sized for: the typed columns double (the string columns grow as arrays do).
      const hashes = new Int32Array(2 * row);
      hashes.set(b.hashes);
      b.hashes = hashes;
      const times = new Float64Array(2 * row);
      times.set(b.times);
      b.times = times;
    }
    b.ids[row] = e.id;
    b.hashes[row] = h;
    b.sources[row] = e.source;
    b.names[row] = e.name;
    b.times[row] = e.timeMs;
    b.rows = row + 1;
    b.table[slot] = row + 1;
    if (2 * (row + 1) > b.table.length) {
      const table = new Int32Array(2 * b.table.length);
      const mask = table.length - 1;
      for (let r = 0; r <= row; r += 1) {
        let i = (b.hashes[r] as number) & mask;
        while ((table[i] as number) !== 0) i = (i + 1) & mask;
        table[i] = r + 1;
      }
      b.table = table;
    }
  }

  /** Events held (for tests). */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.rows;
    return n;
  }
}
