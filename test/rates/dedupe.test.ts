import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../shared/rates/dedupe.ts';

describe('RecentIds (bounded eventID dedupe window)', () => {
  it('reports repeats within the window and forgets the oldest beyond it', () => {
    const ids = new RecentIds(3);
    expect(['a', 'b', 'a', 'c'].map((id) => ids.seen(id))).toEqual([false, false, true, false]);
    expect(ids.seen('d')).toBe(false); // evicts 'a'
    expect(ids.size).toBe(3);
    expect(ids.seen('a')).toBe(false);
    expect(ids.seen('d')).toBe(true);
  });
});
