import type { BaselineId } from './behaviours.ts';

/**
 * Learning period and bounds of one behaviour's profiles. Numbers and why: docs/baseline.md.
 * A profile (one role, one principal, one person) judges nothing until it has `minObservations`
 * counted events spread over at least `learningDays` of event time.
 */
export interface BaselineLimits {
  /** Counted events before a profile judges anything. */
  minObservations: number;
  /** Event-time days between a profile's first event and the first one it may judge. */
  learningDays: number;
  /** Values kept per profile; beyond it the least recently seen value is forgotten. */
  maxValues: number;
  /** A value not seen for this many days is forgotten (novel again). */
  forgetDays: number;
}

export interface BaselineConfig {
  limits: Record<BaselineId, BaselineLimits>;
  /** DynamoDB TTL of a profile after its last event (event time), in days. */
  ttlDays: number;
  /** Longest key or value kept; longer ones are skipped with a reason (DynamoDB keys stop at 2,048 bytes). */
  maxTextLength: number;
}

export function defaultBaselineConfig(): BaselineConfig {
  return {
    limits: {
      'unusual-role-assumption': { minObservations: 10, learningDays: 7, maxValues: 100, forgetDays: 90 },
      'new-api-for-principal': { minObservations: 50, learningDays: 7, maxValues: 400, forgetDays: 90 },
      'signin-from-new-location': { minObservations: 5, learningDays: 7, maxValues: 60, forgetDays: 180 },
    },
    ttlDays: 365,
    maxTextLength: 512,
  };
}
