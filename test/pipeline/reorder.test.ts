import { describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../shared/model/types.ts';
import { RecentEvents, RecentKeys, ReorderBuffer } from '../../shared/pipeline/reorder.ts';
import { rng } from '../helpers/rng.ts';

const at = (timeMs: number, id = String(timeMs)): TrailEvent => ({ id, timeMs }) as TrailEvent;

describe('ReorderBuffer', () => {
  it('releases events in event-time order once they are older than the window', () => {
    const b = new ReorderBuffer(10);
    expect(b.push(at(100))).toEqual([]);
    expect(b.push(at(95))).toEqual([]);
    expect(b.push(at(108)).map((e) => e.timeMs)).toEqual([95]);
    expect(b.push(at(111)).map((e) => e.timeMs)).toEqual([100]);
    expect(b.drain().map((e) => e.timeMs)).toEqual([108, 111]);
  });

  it('sorts a shuffled stream exactly when disorder stays within the window, holding only a window of it', () => {
    const r = rng(3);
    const times = Array.from({ length: 5000 }, (_, i) => i * 10 + Math.floor(r() * 500));
    const b = new ReorderBuffer(600);
    const out: number[] = [];
    for (const t of times) out.push(...b.push(at(t)).map((e) => e.timeMs));
    out.push(...b.drain().map((e) => e.timeMs));
    expect(out).toEqual([...times].sort((x, y) => x - y));
    expect(b.late).toBe(0);
    expect(b.maxHeld).toBeLessThan(200);
  });

  it('appends to the list the caller passes (what replay passes), in the order the returned lists would have', () => {
    const r = rng(5);
    const times = Array.from({ length: 3000 }, (_, i) => (r() < 0.01 ? Number.NaN : i * 10 - Math.floor(r() * 900)));
    const returned = new ReorderBuffer(300, 50);
    const sink = new ReorderBuffer(300, 50);
    const expected: string[] = [];
    const list: TrailEvent[] = [at(-1, 'already there')];
    times.forEach((t, i) => {
      expected.push(...returned.push(at(t, `e${i}`)).map((e) => e.id));
      expect(sink.push(at(t, `e${i}`), list)).toBe(list);
    });
    expected.push(...returned.drain().map((e) => e.id));
    sink.drain(list);
    expect(list.map((e) => e.id)).toEqual(['already there', ...expected]);
    expect(sink.late).toBe(returned.late);
    expect(sink.late).toBeGreaterThan(0);
  });

  it('passes a late event through at once and counts it', () => {
    const b = new ReorderBuffer(10);
    b.push(at(100));
    b.push(at(200));
    expect(b.push(at(50)).map((e) => e.timeMs)).toEqual([50]);
    expect(b.late).toBe(1);
  });
});

describe('RecentKeys', () => {
  it('recognises duplicates within the horizon and forgets older hours', () => {
    const k = new RecentKeys(3_600_000);
    expect(k.seen('a', 0)).toBe(false);
    expect(k.seen('a', 0)).toBe(true);
    for (let h = 1; h <= 5; h += 1) k.seen(`x${h}`, h * 3_600_000);
    expect(k.size).toBeLessThanOrEqual(3);
    expect(k.seen('a', 0)).toBe(false);
  });
});

describe('ReorderBuffer against a sorted-array model', () => {
  /** The rule written the slow, obvious way: hold everything, sort by (time, arrival), release the same way. */
  class Model {
    held: Array<{ t: number; seq: number; e: TrailEvent }> = [];
    seq = 0;
    newest = Number.NEGATIVE_INFINITY;
    through = Number.NEGATIVE_INFINITY;
    late = 0;
    maxHeld = 0;
    constructor(
      readonly windowMs: number,
      readonly minHeld: number,
    ) {}
    push(e: TrailEvent): TrailEvent[] {
      if (!Number.isFinite(e.timeMs)) return [e];
      if (e.timeMs < this.through) {
        this.late++;
        return [e];
      }
      this.held.push({ t: e.timeMs, seq: this.seq++, e });
      this.maxHeld = Math.max(this.maxHeld, this.held.length);
      this.newest = Math.max(this.newest, e.timeMs);
      return this.release(this.newest - this.windowMs, this.minHeld);
    }
    release(through: number, keep: number): TrailEvent[] {
      this.held.sort((a, b) => a.t - b.t || a.seq - b.seq);
      const out: TrailEvent[] = [];
      while (this.held.length > keep && (this.held[0] as { t: number }).t <= through) {
        const top = this.held.shift() as { t: number; e: TrailEvent };
        out.push(top.e);
        this.through = Math.max(this.through, top.t);
      }
      return out;
    }
  }

  it('releases exactly what the model releases, push by push: in-order runs, ties, disorder, late and timeless events, a minimum held (and holds as many at most)', () => {
    const r = rng(11);
    for (const [windowMs, minHeld] of [
      [50, 0],
      [50, 30],
      [0, 0],
      [400, 5000],
    ] as const) {
      const b = new ReorderBuffer(windowMs, minHeld);
      const m = new Model(windowMs, minHeld);
      let clock = 0;
      for (let i = 0; i < 12_000; i++) {
        const roll = r();
        // Mostly in order (a file's records), some ties, some jumps back (an earlier file), rare late or timeless events.
        clock += roll < 0.7 ? Math.floor(r() * 3) : 0;
        const t = roll < 0.9 ? clock : roll < 0.995 ? clock - Math.floor(r() * 120) : roll < 0.998 ? clock - 10_000 : Number.NaN;
        const e = at(t, `e${i}`);
        expect(b.push(e).map((x) => x.id)).toEqual(m.push(e).map((x) => x.id));
      }
      expect(b.drain().map((x) => x.id)).toEqual(m.release(Number.POSITIVE_INFINITY, 0).map((x) => x.id));
      expect(b.late).toBe(m.late);
      expect(b.maxHeld).toBe(m.maxHeld);
      expect(b.size).toBe(0);
    }
  });
});

describe('RecentEvents (replay dedup) against a model that keeps every key string', () => {
  const call = (id: string, source: string, name: string, timeMs: number) => ({ id, source, name, timeMs });

  it('a duplicate is the same eventID, source, name and time; the same eventID with another call is not', () => {
    const r = new RecentEvents(2 * 3_600_000);
    const t = Date.UTC(2026, 10, 20, 10, 0, 0);
    expect(r.seen(call('e1', 'iam.amazonaws.com', 'CreateUser', t))).toBe(false);
    expect(r.seen(call('e1', 'iam.amazonaws.com', 'CreateUser', t))).toBe(true);
    expect(r.seen(call('e1', 'iam.amazonaws.com', 'DeleteUser', t))).toBe(false);
    expect(r.seen(call('e1', 'sts.amazonaws.com', 'CreateUser', t))).toBe(false);
    expect(r.seen(call('e1', 'iam.amazonaws.com', 'CreateUser', t + 1))).toBe(false);
    // Each of those is now remembered too, the second row of an eventID as well as the first.
    expect(r.seen(call('e1', 'iam.amazonaws.com', 'DeleteUser', t))).toBe(true);
    expect(r.seen(call('e1', 'sts.amazonaws.com', 'CreateUser', t))).toBe(true);
    expect(r.seen(call('e1', 'iam.amazonaws.com', 'CreateUser', t + 1))).toBe(true);
    expect(r.size).toBe(4);
  });

  it('forgets what is older than the horizon (hour buckets), and agrees with the model on a random stream', () => {
    const horizon = 2 * 3_600_000;
    const r = new RecentEvents(horizon);
    const model = new RecentKeys(horizon);
    const next = rng(7);
    const start = Date.UTC(2026, 10, 20);
    let dupes = 0;
    for (let i = 0; i < 20_000; i++) {
      // Mostly moving forward in time, with repeats of recent records and eventIDs reused across calls.
      const back = next() < 0.2 ? Math.floor(next() * 50) : 0;
      const n = Math.max(0, i - back);
      const e = call(`id-${n % 3_000}`, next() < 0.5 ? 'iam.amazonaws.com' : 's3.amazonaws.com', next() < 0.5 ? 'A' : 'B', start + n * 1_000);
      const expected = model.seen(`${e.id}\u0000${e.source}\u0000${e.name}\u0000${e.timeMs}`, e.timeMs);
      expect(r.seen(e)).toBe(expected);
      if (expected) dupes++;
    }
    expect(dupes).toBeGreaterThan(500);
    expect(r.size).toBe(model.size);
    // 20,000 s of event time with a 2-hour horizon: older hours were dropped.
    expect(r.size).toBeLessThan(20_000);
  });

  it('agrees with the model on late records (hours back: dropped buckets come back), busy hours (the index grows) and eventIDs reused across calls', () => {
    const horizon = 3_600_000;
    const r = new RecentEvents(horizon);
    const model = new RecentKeys(horizon);
    const next = rng(19);
    const start = Date.UTC(2026, 10, 20);
    let clock = start;
    let dupes = 0;
    const recent: Array<{ id: string; source: string; name: string; timeMs: number }> = [];
    for (let i = 0; i < 60_000; i++) {
      clock += Math.floor(next() * 400);
      const roll = next();
      let e: { id: string; source: string; name: string; timeMs: number };
      if (roll < 0.15 && recent.length > 0) e = recent[Math.floor(next() * recent.length)] as typeof e; // a redelivered record
      else if (roll < 0.2 && recent.length > 0) e = { ...(recent[Math.floor(next() * recent.length)] as typeof e), name: 'Other' }; // eventID reused
      else e = call(`${(i * 2654435761) >>> 0}`, 'ec2.amazonaws.com', 'Run', roll < 0.23 ? clock - 3 * 3_600_000 - Math.floor(next() * 7_200_000) : clock);
      recent.push(e);
      if (recent.length > 5_000) recent.splice(0, 1_000);
      const expected = model.seen(`${e.id}\u0000${e.source}\u0000${e.name}\u0000${e.timeMs}`, e.timeMs);
      expect(r.seen(e)).toBe(expected);
      if (expected) dupes++;
    }
    expect(dupes).toBeGreaterThan(3_000);
    expect(r.size).toBe(model.size);
  });
});
