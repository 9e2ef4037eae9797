import { describe, expect, it } from 'vitest';
import type { TrailEvent } from '../../shared/model/types.ts';
import { RecentKeys, ReorderBuffer } from '../../shared/pipeline/reorder.ts';
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
