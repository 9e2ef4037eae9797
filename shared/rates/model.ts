import type { DimensionThresholds, RateConfig } from './config.ts';

/**
 * A key's learned normal: exponentially weighted first and second moments of its per-minute call
 * count (so mean and variance, with empty minutes counted as zeros in closed form), plus a slowly
 * decaying peak minute that remembers recurring jobs for about a week.
 */
export interface Baseline {
  /** EWMA of the per-minute count. */
  m1: number;
  /** EWMA of the squared per-minute count. */
  m2: number;
  /** Largest per-minute count seen, decayed with `peakHalfLifeMinutes`. */
  peak: number;
  /** First minute this key was seen. */
  firstMinute: number;
  /** Last minute folded into m1/m2/peak. */
  foldedThrough: number;
}

export interface Evaluation {
  anomalous: boolean;
  /** `new` when the key lacks history and only the never-seen threshold applies. */
  basis: 'learned' | 'new';
  observed: number;
  /** Expected per-minute count (EWMA mean). */
  expected: number;
  stdDev: number;
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
  return { ...b, m1: b.m1 * d, m2: b.m2 * d, peak: b.peak * decayFactor(cfg.peakHalfLifeMinutes, gap), foldedThrough: minute - 1 };
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
      peak: b ? b.peak : 0,
      score: observed / t.newKeyCount,
      historyMinutes: Math.max(0, history),
    };
  }
  const variance = Math.max(0, b.m2 - b.m1 * b.m1);
  // Poisson noise (variance = mean) plus one call, so a near-silent key does not get a zero denominator.
  const stdDev = Math.sqrt(variance + b.m1 + 1);
  const score = (observed - b.m1) / stdDev;
  const anomalous =
    observed >= t.minCount && observed >= t.ratio * b.m1 && score >= t.zScore && observed >= t.peakRatio * b.peak;
  return { anomalous, basis: 'learned', observed, expected: b.m1, stdDev, peak: b.peak, score, historyMinutes: history };
}

/**
 * Folds one completed minute into the baseline. An anomalous minute is learned clipped (to twice the
 * larger of mean and peak), so a burst does not instantly become the new normal, yet a job that
 * really recurs is learned after a few occurrences.
 */
export function fold(b: Baseline | null, minute: number, count: number, t: DimensionThresholds, cfg: RateConfig): Baseline {
  if (!b) return { m1: count, m2: count * count, peak: count, firstMinute: minute, foldedThrough: minute };
  if (minute <= b.foldedThrough) return b;
  const d = decayTo(b, minute, cfg);
  const ev = evaluate(d, minute, count, t, cfg);
  const learned = ev.anomalous ? Math.min(count, 2 * Math.max(d.m1, d.peak, 1)) : count;
  const alpha = 1 - decayFactor(cfg.halfLifeMinutes, 1);
  return {
    m1: (1 - alpha) * d.m1 + alpha * learned,
    m2: (1 - alpha) * d.m2 + alpha * learned * learned,
    // The peak at most doubles per minute: the first minutes of a ramping burst (still under the
    // floor) cannot mask the rest of it, while a job that really recurs is learned within minutes.
    peak: Math.max(d.peak * decayFactor(cfg.peakHalfLifeMinutes, 1), Math.min(learned, 2 * Math.max(d.peak, 1))),
    firstMinute: b.firstMinute,
    foldedThrough: minute,
  };
}
