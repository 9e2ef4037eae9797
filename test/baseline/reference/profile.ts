// The profile model as it was before session 7 (allocating Object.entries / Object.keys per event), kept as the
// reference the rewrite is compared with event by event (test/baseline/profile.test.ts).
import type { BaselineLimits } from '../../../shared/baseline/config.ts';
import { DAY_MS, type Judgement, type Profile } from '../../../shared/baseline/profile.ts';
export function referenceObserve(profile: Profile | undefined, values: readonly string[], timeMs: number, eventId: string, limits: BaselineLimits): { profile: Profile; changed: boolean; judgement: Judgement } {
  const p: Profile = profile ?? { f: timeMs, n: 0, v: {} };
  let changed = profile === undefined;
  if (timeMs < p.f) {
    p.f = timeMs;
    changed = true;
  }
  const learning = p.n < limits.minObservations || timeMs - p.f < limits.learningDays * DAY_MS;
  const history = { observations: p.n, values: Object.keys(p.v).length, sinceMs: p.f };
  const day = Math.floor(timeMs / DAY_MS);
  for (const [value, entry] of Object.entries(p.v)) {
    if (entry[1] < day - limits.forgetDays) {
      delete p.v[value];
      changed = true;
    }
  }
  const novel: string[] = [];
  const added = new Set<string>();
  for (const value of values) {
    const entry = p.v[value];
    if (!entry) {
      if (!learning) novel.push(value);
      p.v[value] = learning ? [timeMs, day] : [timeMs, day, eventId];
      added.add(value);
      changed = true;
    } else if (entry[2] === eventId) {
      novel.push(value); // the same event again (redelivery): same answer
    } else if (entry[1] < day) {
      entry[1] = day;
      changed = true;
    }
  }
  const keys = Object.keys(p.v);
  if (keys.length > limits.maxValues) {
    // Forget the least recently seen (then oldest) values, never the ones this event brought.
    const victims = keys
      .filter((k) => !added.has(k))
      .sort((a, b) => (p.v[a] as [number, number])[1] - (p.v[b] as [number, number])[1] || (p.v[a] as [number, number])[0] - (p.v[b] as [number, number])[0])
      .slice(0, keys.length - limits.maxValues);
    for (const k of victims) delete p.v[k];
    p.d = (p.d ?? 0) + victims.length;
    changed = true;
  }
  if (p.n < limits.minObservations) {
    p.n += 1;
    changed = true;
  }
  return { profile: p, changed, judgement: { novel, learning, history } };
}
