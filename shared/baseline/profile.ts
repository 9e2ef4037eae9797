import type { BaselineLimits } from './config.ts';

export const DAY_MS = 86_400_000;

/**
 * One profile's history (stored as compact JSON): first counted event, the count (saturating at
 * the learning minimum, so a busy key stops changing), and per value `[firstSeenMs, lastSeenDay]`,
 * plus the eventID that first showed the value when that event was reported (a redelivered batch
 * reports it again under the same eventID instead of losing it as "known").
 */
export interface Profile {
  f: number;
  n: number;
  v: Record<string, [number, number] | [number, number, string]>;
  /** Values forgotten because the profile hit its cap. */
  d?: number;
}

export interface Judgement {
  /** Values this event showed first, outside the learning period (empty: nothing to report). */
  novel: string[];
  /** True while the profile was still learning when this event came. */
  learning: boolean;
  /** Counted events and values of the profile before this event (for the finding). */
  history: { observations: number; values: number; sinceMs: number };
}

/**
 * A deep copy of a profile (what `structuredClone` gives for this plain-data shape: the same
 * properties in the same order, each value's entry a new array), at a fraction of its cost: the
 * memory store copies a profile on every update.
 */
export function copyProfile(p: Profile): Profile {
  const v: Profile['v'] = {};
  for (const value of Object.keys(p.v)) v[value] = (p.v[value] as [number, number]).slice() as [number, number];
  const copy: Profile = { f: p.f, n: p.n, v };
  if (p.d !== undefined) copy.d = p.d;
  return copy;
}

/**
 * What an earlier `observe` learnt of the profile it returned, for the next call on that same
 * profile object: how many values it holds, and a day no value's last-seen day is below. While
 * `oldestDay` is not older than the forget horizon, no value can be stale, so the next call skips
 * the pass over every value (up to `maxValues`, 400 for APIs) that would find none to forget. Only
 * an answer already known is skipped: the result is the same with or without it.
 */
export interface ProfileScan {
  size: number;
  oldestDay: number;
}

/**
 * Pure: folds one event's values into a profile and says which were new. Mutates and returns
 * `profile` (a copy is the caller's choice) and whether anything worth storing changed.
 */
export function observe(
  profile: Profile | undefined,
  values: readonly string[],
  timeMs: number,
  eventId: string,
  limits: BaselineLimits,
  scan?: ProfileScan,
): { profile: Profile; changed: boolean; judgement: Judgement; scan: ProfileScan } {
  const p: Profile = profile ?? { f: timeMs, n: 0, v: {} };
  let changed = profile === undefined;
  if (timeMs < p.f) {
    p.f = timeMs;
    changed = true;
  }
  const learning = p.n < limits.minObservations || timeMs - p.f < limits.learningDays * DAY_MS;
  const day = Math.floor(timeMs / DAY_MS);
  const horizon = day - limits.forgetDays;
  let held: number;
  let kept: number;
  let oldestDay: number;
  if (profile !== undefined && scan !== undefined && scan.oldestDay >= horizon) {
    // Nothing can be stale (see ProfileScan): the count is known without the pass.
    held = kept = scan.size;
    oldestDay = scan.oldestDay;
  } else {
    // One pass over the values (their names only, no entry pairs): count them and forget the stale.
    const names = Object.keys(p.v);
    held = names.length;
    kept = 0;
    oldestDay = day;
    // Indexed loops: observe runs once per observation, often before it is optimised, and for-of then
    // allocates an iterator result per element.
    for (let k = 0; k < held; k += 1) {
      const value = names[k] as string;
      const lastSeen = (p.v[value] as [number, number])[1];
      if (lastSeen < horizon) {
        delete p.v[value];
        changed = true;
      } else {
        kept += 1;
        if (lastSeen < oldestDay) oldestDay = lastSeen;
      }
    }
  }
  const history = { observations: p.n, values: held, sinceMs: p.f };
  const novel: string[] = [];
  let added: string[] | undefined;
  for (let k = 0; k < values.length; k += 1) {
    const value = values[k] as string;
    const entry = p.v[value];
    if (!entry) {
      if (!learning) novel.push(value);
      p.v[value] = learning ? [timeMs, day] : [timeMs, day, eventId];
      (added ??= []).push(value);
      kept += 1;
      if (day < oldestDay) oldestDay = day;
      changed = true;
    } else if (entry[2] === eventId) {
      novel.push(value); // the same event again (redelivery): same answer
    } else if (entry[1] < day) {
      entry[1] = day;
      changed = true;
    }
  }
  if (kept > limits.maxValues) {
    const keys = Object.keys(p.v);
    // Forget the least recently seen (then oldest) values, never the ones this event brought.
    const victims = keys
      .filter((k) => added?.includes(k) !== true)
      .sort((a, b) => (p.v[a] as [number, number])[1] - (p.v[b] as [number, number])[1] || (p.v[a] as [number, number])[0] - (p.v[b] as [number, number])[0])
      .slice(0, keys.length - limits.maxValues);
    for (const k of victims) delete p.v[k];
    p.d = (p.d ?? 0) + victims.length;
    kept -= victims.length;
    changed = true;
  }
  if (p.n < limits.minObservations) {
    p.n += 1;
    changed = true;
  }
  // Removing values (forgotten, capped) and moving last-seen days forward keep `oldestDay` a floor.
  return { profile: p, changed, judgement: { novel, learning, history }, scan: { size: kept, oldestDay } };
}
