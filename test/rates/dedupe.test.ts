import { describe, expect, it } from 'vitest';
import { RecentEvents } from '../../shared/pipeline/reorder.ts';
import { eventIdHash } from '../../shared/model/id-hash.ts';
import { normalize } from '../../shared/model/normalize.ts';
import { idHash } from '../../shared/model/id-hash.ts';
import { RecentIds } from '../../shared/rates/dedupe.ts';
import { rng } from '../helpers/rng.ts';
import { ReferenceRecentIds } from './reference/dedupe.ts';

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

describe('RecentIds against the Set-and-ring window it replaced, call by call', () => {
  it('answers every call alike and holds as many ids, for small and large windows, colliding probe runs and repeats', () => {
    const r = rng(7);
    for (const [capacity, distinct, calls] of [
      [0, 3, 2000],
      [1, 4, 2000],
      [3, 8, 5000],
      [7, 40, 20_000],
      [100, 300, 50_000],
      [5000, 12_000, 60_000],
    ] as const) {
      const a = new RecentIds(capacity);
      const b = new ReferenceRecentIds(capacity);
      let dup = 0;
      for (let i = 0; i < calls; i++) {
        // Short ids of a small alphabet (many equal hashes modulo the table) and UUID-like ones.
        const n = Math.floor(r() * distinct);
        const id = r() < 0.5 ? `e${n}` : `0000${n.toString(16)}-8a1b-4c2d-9e3f-${n}`;
        const x = a.seen(id);
        expect(x).toBe(b.seen(id));
        if (x) dup++;
        if (i % 997 === 0) expect(a.size).toBe(b.size);
      }
      expect(a.size).toBe(b.size);
      expect(dup).toBeGreaterThan(0);
    }
  });
});

describe('eventID windows on ids whose hashes are equal', () => {
  it('tell them apart by the strings (c693596 and c1170850 have the same FNV-1a hash)', () => {
    expect(idHash('c693596')).toBe(idHash('c1170850'));
    const ids = new RecentIds(10);
    expect([ids.seen('c693596'), ids.seen('c1170850'), ids.seen('c693596'), ids.seen('c1170850')]).toEqual([false, false, true, true]);
    const events = new RecentEvents(3_600_000);
    const e = (id: string) => ({ id, source: 's', name: 'n', timeMs: 0 });
    expect([events.seen(e('c693596')), events.seen(e('c1170850')), events.seen(e('c1170850'))]).toEqual([false, false, true]);
  });
});

describe('the eventID hash carried by events (TrailEvent.idHash)', () => {
  it('is idHash of the id, set by normalize, and the windows answer the same with it as without', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `e-${i % 700}-${(i * 7919) % 13}`);
    const events = ids.map((id, i) => {
      const n = normalize({ eventVersion: '1.08', eventID: id, eventTime: '2026-01-01T00:00:00Z', eventName: 'GetObject', eventSource: 's3.amazonaws.com', eventType: 'AwsServiceEvent', awsRegion: 'us-east-1', recipientAccountId: String(i % 3).padStart(12, '1') });
      if (!n.ok) throw new Error(n.skip.reason);
      return n.event;
    });
    expect(events.every((e) => e.idHash === idHash(e.id) && eventIdHash(e) === idHash(e.id))).toBe(true);
    expect(eventIdHash({ id: 'c693596' })).toBe(idHash('c693596'));
    const carried = new RecentIds(500);
    const computed = new RecentIds(500);
    expect(events.map((e) => carried.seen(e.id, e.idHash))).toEqual(ids.map((id) => computed.seen(id)));
    const withHash = new RecentEvents(3_600_000);
    const without = new RecentEvents(3_600_000);
    expect(events.map((e) => withHash.seen(e))).toEqual(events.map(({ idHash: _h, ...e }) => without.seen(e)));
  });
});
