import { describe, expect, it } from 'vitest';
import { boundedMap, remember } from '../shared/memo.ts';

describe('boundedMap / remember', () => {
  it('keeps entries below the limit and answers get/has like a Map', () => {
    const memo = boundedMap<string, number | undefined>(3);
    expect(remember(memo, 'a', 1)).toBe(1);
    expect(remember(memo, 'b', undefined)).toBeUndefined();
    expect(memo.size).toBe(2);
    expect(memo.get('a')).toBe(1);
    expect(memo.has('b')).toBe(true); // an undefined answer is remembered, and has() tells it from a miss
    expect(memo.get('b')).toBeUndefined();
    expect(memo.has('c')).toBe(false);
    expect(memo.get('c')).toBeUndefined();
    expect(Object.getPrototypeOf(memo)).toBe(Map.prototype); // a plain Map: look-ups are the Map's own
    expect(memo.limit).toBe(3);
  });

  it('empties itself when the limit is reached, then keeps the new entry', () => {
    const memo = boundedMap<string, number>(3);
    remember(memo, 'a', 1);
    remember(memo, 'b', 2);
    remember(memo, 'c', 3);
    expect(memo.size).toBe(3); // full, not yet emptied
    expect([...memo.keys()]).toEqual(['a', 'b', 'c']);
    remember(memo, 'd', 4);
    expect(memo.size).toBe(1);
    expect(memo.has('a')).toBe(false);
    expect(memo.has('c')).toBe(false);
    expect(memo.get('d')).toBe(4);
    remember(memo, 'e', 5);
    remember(memo, 'f', 6);
    expect([...memo.entries()]).toEqual([
      ['d', 4],
      ['e', 5],
      ['f', 6],
    ]);
  });

  it('empties when full even if the key is already held (as the hand-written memos did)', () => {
    const memo = boundedMap<string, number>(2);
    remember(memo, 'a', 1);
    remember(memo, 'b', 2);
    remember(memo, 'a', 10);
    expect([...memo.entries()]).toEqual([['a', 10]]);
  });

  it('never holds more than its limit', () => {
    const memo = boundedMap<number, number>(5);
    for (let i = 0; i < 23; i++) {
      remember(memo, i, i * i);
      expect(memo.size).toBeLessThanOrEqual(5);
      expect(memo.get(i)).toBe(i * i);
    }
    expect([...memo.keys()]).toEqual([20, 21, 22]); // emptied on the 6th, 11th, 16th and 21st entry
  });

  it('a limit of 1 keeps only the latest entry', () => {
    const memo = boundedMap<string, string>(1);
    remember(memo, 'x', 'X');
    remember(memo, 'y', 'Y');
    expect([...memo.keys()]).toEqual(['y']);
  });

  it('set stays the unbounded Map.prototype.set', () => {
    const memo = boundedMap<number, number>(2);
    for (let i = 0; i < 4; i++) memo.set(i, i);
    expect(memo.size).toBe(4);
    remember(memo, 9, 9);
    expect([...memo.keys()]).toEqual([9]);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => boundedMap(0)).toThrow(RangeError);
    expect(() => boundedMap(-1)).toThrow(RangeError);
    expect(() => boundedMap(2.5)).toThrow(RangeError);
    expect(() => boundedMap(Number.NaN)).toThrow(RangeError);
  });
});
