import { describe, expect, it } from 'vitest';
import { copyProfile, observe, type Profile, type ProfileScan } from '../../shared/baseline/profile.ts';
import { rng } from '../helpers/rng.ts';
import { referenceObserve } from './reference/profile.ts';
import { DAY, T0 } from './records.ts';

const limits = { minObservations: 5, learningDays: 7, maxValues: 3, forgetDays: 30 };

function run(events: Array<[number, string[], string?]>, start?: Profile): { profile: Profile | undefined; novel: string[][] } {
  let profile = start;
  const novel: string[][] = [];
  for (const [t, values, id] of events) {
    const step = observe(profile, values, t, id ?? `e-${t}-${values.join()}`, limits);
    profile = step.profile;
    novel.push(step.judgement.novel);
  }
  return { profile, novel };
}

describe('baseline profile model', () => {
  it('judges nothing during the learning period: enough events AND enough days', () => {
    // Ten events in one day: count reached, days not.
    const sameDay = run(Array.from({ length: 10 }, (_, i) => [T0 + i * 60_000, [`v${i}`]] as [number, string[]]));
    expect(sameDay.novel.flat()).toEqual([]);
    // Two events eight days apart: days reached, count not.
    const sparse = run([[T0, ['a']], [T0 + 8 * DAY, ['b']]]);
    expect(sparse.novel.flat()).toEqual([]);
  });

  it('after learning: a known value is quiet, a new one is reported once', () => {
    const history: Array<[number, string[]]> = Array.from({ length: 6 }, (_, i) => [T0 + i * 2 * DAY, ['a']]);
    const { novel, profile } = run([...history, [T0 + 13 * DAY, ['a']], [T0 + 13 * DAY + 1, ['b']], [T0 + 14 * DAY, ['b']]]);
    expect(novel.slice(6)).toEqual([[], ['b'], []]);
    expect(Object.keys(profile?.v ?? {}).sort()).toEqual(['a', 'b']);
  });

  it('the same event again (a redelivered batch) gets the same answer, not "known"', () => {
    const history: Array<[number, string[]]> = Array.from({ length: 6 }, (_, i) => [T0 + i * 2 * DAY, ['a']]);
    const { novel } = run([...history, [T0 + 13 * DAY, ['b'], 'evt-1'], [T0 + 13 * DAY, ['b'], 'evt-1'], [T0 + 13 * DAY + 5, ['b'], 'evt-2']]);
    expect(novel.slice(6)).toEqual([['b'], ['b'], []]);
  });

  it('keeps at most maxValues per profile, forgetting the least recently seen, never the value just added', () => {
    const { profile } = run([[T0, ['a']], [T0 + DAY, ['b']], [T0 + 2 * DAY, ['c']], [T0 + 3 * DAY, ['a']], [T0 + 4 * DAY, ['d']]]);
    expect(Object.keys(profile?.v ?? {}).sort()).toEqual(['a', 'c', 'd']);
    expect(profile?.d).toBe(1);
  });

  it('forgets a value not seen for forgetDays: it is new again', () => {
    const history: Array<[number, string[]]> = Array.from({ length: 6 }, (_, i) => [T0 + i * 2 * DAY, ['a', 'x']]);
    const { novel } = run([...history, ...Array.from({ length: 40 }, (_, i) => [T0 + (12 + i) * DAY, ['a']] as [number, string[]]), [T0 + 60 * DAY, ['x']]]);
    expect(novel.at(-1)).toEqual(['x']);
  });

  it('stops changing once learned and nothing new comes the same day (no write per event)', () => {
    const history: Array<[number, string[]]> = Array.from({ length: 6 }, (_, i) => [T0 + i * 2 * DAY, ['a']]);
    const { profile } = run(history);
    expect(observe(profile, ['a'], T0 + 10 * DAY + 1000, 'z', limits).changed).toBe(false);
    expect(observe(profile, ['a'], T0 + 11 * DAY, 'z', limits).changed).toBe(true); // a new day: lastSeen moves
  });
});

/** One event through the model (with `scan` when given) and through the reference: the same profile, change flag and judgement. */
function stepBoth(a: Profile | undefined, b: Profile | undefined, values: string[], t: number, id: string, limits: Parameters<typeof observe>[4], scan?: ProfileScan) {
  const x = observe(a, values, t, id, limits, scan);
  const y = referenceObserve(b, values, t, id, limits);
  expect(JSON.stringify(x.profile)).toBe(JSON.stringify(y.profile));
  expect(x.changed).toBe(y.changed);
  expect(x.judgement).toEqual(y.judgement);
  return { x, y };
}

describe('baseline profile model, against the reference (the model before session 7) event by event', () => {
  it('gives the same profile (same values in the same order), change flag and judgement on random streams, and copyProfile equals structuredClone', () => {
    const r = rng(21);
    for (const limits of [
      { minObservations: 3, learningDays: 1, maxValues: 4, forgetDays: 2 },
      { minObservations: 0, learningDays: 0, maxValues: 2, forgetDays: 0 },
      { minObservations: 10, learningDays: 7, maxValues: 400, forgetDays: 90 },
    ]) {
      let a: Profile | undefined;
      let b: Profile | undefined;
      let t = T0;
      for (let i = 0; i < 4000; i++) {
        t += Math.floor(r() * 0.3 * DAY) - (r() < 0.05 ? DAY : 0);
        const values = Array.from({ length: 1 + Math.floor(r() * 3) }, () => `v${Math.floor(r() * 12)}`);
        const id = r() < 0.1 ? 'redelivered' : `e${i}`;
        if (a && r() < 0.2) {
          const copy = copyProfile(a);
          expect(JSON.stringify(copy)).toBe(JSON.stringify(structuredClone(a)));
          expect(copy).toEqual(structuredClone(a));
          a = copy;
        }
        const { x, y } = stepBoth(a, b, values, t, id, limits);
        a = x.profile;
        b = y.profile;
      }
      if (limits.maxValues < 12) expect(a?.d ?? 0).toBeGreaterThan(0); // the cap was hit
    }
  });

  it('gives the same answers when each step is handed the scan of the step before (the forget pass skipped while nothing can be stale)', () => {
    const r = rng(22);
    let skipped = 0;
    for (const limits of [
      { minObservations: 3, learningDays: 1, maxValues: 4, forgetDays: 2 },
      { minObservations: 0, learningDays: 0, maxValues: 2, forgetDays: 0 },
      { minObservations: 10, learningDays: 7, maxValues: 400, forgetDays: 90 },
      { minObservations: 5, learningDays: 2, maxValues: 30, forgetDays: 3 },
    ]) {
      let a: Profile | undefined;
      let b: Profile | undefined;
      let scan: ProfileScan | undefined;
      let t = T0;
      for (let i = 0; i < 4000; i++) {
        // Mostly minutes apart, sometimes days (values go stale), sometimes back in time.
        t += r() < 0.9 ? Math.floor(r() * 600_000) : Math.floor(r() * 5 * DAY) - (r() < 0.3 ? 2 * DAY : 0);
        const values = Array.from({ length: 1 + Math.floor(r() * 3) }, () => `v${Math.floor(r() * 40)}`);
        const id = r() < 0.1 ? 'redelivered' : `e${i}`;
        if (a && r() < 0.1) a = copyProfile(a); // the same content: the scan still describes it
        const horizon = Math.floor(t / DAY) - limits.forgetDays;
        if (a && scan && scan.oldestDay >= horizon) {
          skipped++;
          expect(scan.size).toBe(Object.keys(a.v).length);
          expect(Math.min(...Object.values(a.v).map((e) => e[1]))).toBeGreaterThanOrEqual(scan.oldestDay);
        }
        const { x, y } = stepBoth(a, b, values, t, id, limits, scan);
        a = x.profile;
        b = y.profile;
        scan = x.scan;
      }
    }
    expect(skipped).toBeGreaterThan(8000); // most steps skipped the pass: the test exercises the skip
  });
});
