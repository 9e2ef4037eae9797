import type { DimensionThresholds, RateConfig } from './config.ts';

/** Peak slots per day: one per UTC hour of the minute's `eventTime`. */
export const PEAK_SLOTS = 24;
const SLOT_MINUTES = 1440 / PEAK_SLOTS;

/** The peak slot (UTC hour of day) of an epoch minute. */
export function peakSlot(minute: number): number {
  const ofDay = ((minute % 1440) + 1440) % 1440;
  return Math.floor(ofDay / SLOT_MINUTES);
}

/**
 * The remembered peak that excuses a minute: the largest of its own hour's slot and the two
 * neighbouring hours, so a daily job drifting by up to an hour stays excused, while the same job
 * does not excuse a burst at another time of day.
 */
export function peakFor(peaks: readonly number[], minute: number): number {
  const s = peakSlot(minute);
  return Math.max(peaks[s] ?? 0, peaks[(s + 1) % PEAK_SLOTS] ?? 0, peaks[(s + PEAK_SLOTS - 1) % PEAK_SLOTS] ?? 0);
}

/** A peak array with `value` in every slot (a new key, or an item written with the old single `peak`). */
export function uniformPeaks(value: number): number[] {
  return new Array<number>(PEAK_SLOTS).fill(value);
}

/**
 * A key's learned normal: exponentially weighted first and second moments of its per-minute call
 * count (so mean and variance, with empty minutes counted as zeros in closed form), plus slowly
 * decaying peak minutes, one per hour of day, that remember recurring jobs (and when they run)
 * for about a week.
 */
export interface Baseline {
  /** EWMA of the per-minute count. */
  m1: number;
  /** EWMA of the squared per-minute count. */
  m2: number;
  /**
   * Per UTC hour of day (`PEAK_SLOTS` entries): the largest per-minute count seen in that hour,
   * every slot decayed with `peakHalfLifeMinutes`.
   */
  peaks: number[];
  /** First minute this key was seen. */
  firstMinute: number;
  /** Last minute folded into m1/m2/peak. */
  foldedThrough: number;
  /**
   * Burst episodes (IaC plans, CI jobs): the busiest minute of each of the last `MAX_EPISODES`
   * episodes, oldest first, each decayed like the peaks. Absent: none yet.
   */
  episodes?: number[];
  /** The hour slot (`peakSlot`) each episode started in, parallel to `episodes`. */
  episodeSlots?: number[];
  /** Last busy minute of the newest episode (a busy minute within `quietMinutes` of it extends it). */
  episodeMinute?: number;
}

/** Episodes remembered per key. */
export const MAX_EPISODES = 16;
/**
 * Episodes, in distinct hours of the day, a key needs before its bursts are its normal at any hour.
 * Three bursts at three different times of day are a habit, not an accident: a Terraform role or a
 * CI pipeline pages for its first bursts only.
 */
export const MIN_EPISODES = 3;
/** The episodes' hours must span at least this many hours (circularly): a daily job drifting around 02:00 is not "any hour". */
const MIN_EPISODE_SPREAD_HOURS = 4;

function hourDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % PEAK_SLOTS;
  return Math.min(d, PEAK_SLOTS - d);
}

/**
 * The peak that excuses a minute because the key is bursty at any hour: the largest of its
 * remembered episodes, once it has at least `MIN_EPISODES` episodes in distinct hours that lie at
 * least `MIN_EPISODE_SPREAD_HOURS` apart somewhere. A job that runs at one time of day stays the
 * business of its hour slot (`peakFor`). Zero otherwise. (The test is still `peakRatio` x this: a
 * burst half again as big as the key's biggest habitual one is news at any hour.)
 */
export function episodePeak(b: Pick<Baseline, 'episodes' | 'episodeSlots'>): number {
  const e = b.episodes;
  const slots = b.episodeSlots;
  if (!e || !slots || e.length < MIN_EPISODES) return 0;
  const distinct = [...new Set(slots)];
  if (distinct.length < MIN_EPISODES) return 0;
  const spread = distinct.some((x) => distinct.some((y) => hourDistance(x, y) >= MIN_EPISODE_SPREAD_HOURS));
  if (!spread) return 0;
  return Math.max(...e);
}

export interface Evaluation {
  anomalous: boolean;
  /** `new` when the key lacks history and only the never-seen threshold applies. */
  basis: 'learned' | 'new';
  observed: number;
  /** Expected per-minute count (EWMA mean). */
  expected: number;
  stdDev: number;
  /** The peak that applied to this minute (its hour's slot and the neighbouring hours). */
  peak: number;
  /** (observed - expected) / stdDev; for new keys observed / newKeyCount. */
  score: number;
  historyMinutes: number;
}

function decayFactor(halfLife: number, minutes: number): number {
  return minutes <= 0 ? 1 : Math.pow(0.5, minutes / halfLife);
}

/** The baseline as it stands after `minute - 1`, with the minutes since `foldedThrough` taken as zeros. */
export function decayTo(b: Baseline, minute: number, cfg: RateConfig): Baseline {
  const gap = minute - 1 - b.foldedThrough;
  if (gap <= 0) return b;
  const d = decayFactor(cfg.halfLifeMinutes, gap);
  const dp = decayFactor(cfg.peakHalfLifeMinutes, gap);
  const decayed: Baseline = { ...b, m1: b.m1 * d, m2: b.m2 * d, peaks: b.peaks.map((p) => p * dp), foldedThrough: minute - 1 };
  if (b.episodes) decayed.episodes = b.episodes.map((p) => p * dp);
  return decayed;
}

/** Scores one minute's count against a baseline (already decayed to that minute). */
export function evaluate(b: Baseline | null, minute: number, observed: number, t: DimensionThresholds, cfg: RateConfig): Evaluation {
  const history = b ? minute - b.firstMinute : 0;
  if (!b || history < cfg.minHistoryMinutes) {
    return {
      anomalous: observed >= t.newKeyCount,
      basis: 'new',
      observed,
      expected: b ? b.m1 : 0,
      stdDev: 0,
      peak: b ? Math.max(peakFor(b.peaks, minute), episodePeak(b)) : 0,
      score: observed / t.newKeyCount,
      historyMinutes: Math.max(0, history),
    };
  }
  const variance = Math.max(0, b.m2 - b.m1 * b.m1);
  // Poisson noise (variance = mean) plus one call, so a near-silent key does not get a zero denominator.
  const stdDev = Math.sqrt(variance + b.m1 + 1);
  const score = (observed - b.m1) / stdDev;
  // A key bursty at any hour (its episodes) is excused at every hour up to its usual burst size.
  const peak = Math.max(peakFor(b.peaks, minute), episodePeak(b));
  const anomalous =
    observed >= t.minCount && observed >= t.ratio * b.m1 && score >= t.zScore && observed >= t.peakRatio * peak;
  return { anomalous, basis: 'learned', observed, expected: b.m1, stdDev, peak, score, historyMinutes: history };
}

/** The factors `decayFactor(halfLife, 1)`, computed once per half-life (the same numbers every time). */
const ONE_MINUTE = new Map<number, number>();
function oneMinute(halfLife: number): number {
  let f = ONE_MINUTE.get(halfLife);
  if (f === undefined) {
    f = decayFactor(halfLife, 1);
    ONE_MINUTE.set(halfLife, f);
  }
  return f;
}

/** The baseline of a key's first folded minute. */
function firstFold(minute: number, count: number, t: DimensionThresholds): Baseline {
  const peaks = uniformPeaks(0);
  peaks[peakSlot(minute)] = count;
  const first: Baseline = { m1: count, m2: count * count, peaks, firstMinute: minute, foldedThrough: minute };
  if (count >= t.minCount) Object.assign(first, { episodes: [count], episodeSlots: [peakSlot(minute)], episodeMinute: minute });
  return first;
}

/**
 * Folds one completed minute into the baseline. An anomalous minute is learned clipped (to twice the
 * larger of mean and the peak that applied to it), so a burst does not instantly become the new
 * normal, yet a job that really recurs is learned after a few occurrences. Only the minute's own
 * hour slot learns; every slot decays. Returns a new baseline; `b` is left as it was.
 */
export function fold(b: Baseline | null, minute: number, count: number, t: DimensionThresholds, cfg: RateConfig): Baseline {
  if (!b) return firstFold(minute, count, t);
  if (minute <= b.foldedThrough) return b;
  const copy: Baseline = { m1: b.m1, m2: b.m2, peaks: b.peaks.slice(), firstMinute: b.firstMinute, foldedThrough: b.foldedThrough };
  if (b.episodes) copy.episodes = b.episodes.slice();
  if (b.episodeSlots) copy.episodeSlots = b.episodeSlots;
  if (b.episodeMinute !== undefined) copy.episodeMinute = b.episodeMinute;
  foldInPlace(copy, minute, count, t, cfg);
  return copy;
}

/**
 * `fold` applied to `b` itself (null: a new baseline is returned), for state that nothing else
 * holds (the in-process store's live items): no copy of the peaks or episodes per folded minute.
 * `b.episodeSlots` is never changed in place (it may be shared with a copy made by `fold`): a new
 * array replaces it when an episode is added. Same arithmetic, in the same order, as `fold`.
 */
export function foldInPlace(b: Baseline | null, minute: number, count: number, t: DimensionThresholds, cfg: RateConfig): Baseline {
  if (!b) return firstFold(minute, count, t);
  if (minute <= b.foldedThrough) return b;
  const peaks = b.peaks;
  const n = peaks.length;
  const episodes = b.episodes;
  // First the decay over the idle minutes since foldedThrough (decayTo), then the minute itself.
  const gap = minute - 1 - b.foldedThrough;
  if (gap > 0) {
    const dd = decayFactor(cfg.halfLifeMinutes, gap);
    const dpg = decayFactor(cfg.peakHalfLifeMinutes, gap);
    b.m1 *= dd;
    b.m2 *= dd;
    for (let i = 0; i < n; i += 1) peaks[i] = (peaks[i] as number) * dpg;
    if (episodes) for (let i = 0; i < episodes.length; i += 1) episodes[i] = (episodes[i] as number) * dpg;
    b.foldedThrough = minute - 1;
  }
  const ev = evaluate(b, minute, count, t, cfg);
  const m1 = b.m1;
  // ev.peak is the peak that applied to this minute (own slot and neighbours).
  const learned = ev.anomalous ? Math.min(count, 2 * Math.max(m1, ev.peak, 1)) : count;
  // A minute that only the peak test excused (a known recurring job at its usual hour) is explained
  // by its slot: it enters the mean/variance only up to `ratio x mean`, so the job does not inflate
  // the short-term variance and hide a burst in the hours after it. Its slot still learns it fully.
  const excused = !ev.anomalous && ev.basis === 'learned' && count >= t.minCount && count >= t.ratio * m1 && ev.score >= t.zScore;
  const moment = excused ? Math.min(count, t.ratio * Math.max(m1, 1)) : learned;
  const alpha = 1 - oneMinute(cfg.halfLifeMinutes);
  const dp = oneMinute(cfg.peakHalfLifeMinutes);
  const s = peakSlot(minute);
  for (let i = 0; i < n; i += 1) peaks[i] = (peaks[i] as number) * dp;
  // The peak at most doubles per minute: the first minutes of a ramping burst (still under the
  // floor) cannot mask the rest of it, while a job that really recurs is learned within minutes.
  // Doubling starts from the applied peak, so a job drifting into the next hour is learned there too.
  peaks[s] = Math.max(peaks[s] ?? 0, Math.min(learned, 2 * Math.max(ev.peak, 1)));
  b.m1 = (1 - alpha) * m1 + alpha * moment;
  b.m2 = (1 - alpha) * b.m2 + alpha * moment * moment;
  b.foldedThrough = minute;
  if (episodes) for (let i = 0; i < episodes.length; i += 1) episodes[i] = (episodes[i] as number) * dp;
  // A busy minute (above the floor and well above the mean) belongs to a burst episode: it extends
  // the newest one when within `quietMinutes` of it, else opens one. Episodes are learned at their
  // real size (not clipped): the habit test needs MIN_EPISODES of them before it excuses anything.
  if (count >= t.minCount && count >= t.ratio * Math.max(m1, 1)) {
    const list = episodes ?? [];
    const slots = [...(b.episodeSlots ?? [])];
    if (b.episodeMinute !== undefined && minute - b.episodeMinute <= cfg.quietMinutes && list.length > 0 && slots.length === list.length) {
      list[list.length - 1] = Math.max(list[list.length - 1] as number, count);
    } else {
      list.push(count);
      slots.push(peakSlot(minute));
      while (list.length > MAX_EPISODES) list.shift();
      while (slots.length > list.length) slots.shift();
      while (slots.length < list.length) slots.unshift(slots[0] ?? peakSlot(minute));
    }
    b.episodes = list;
    b.episodeSlots = slots;
    b.episodeMinute = minute;
  }
  return b;
}
