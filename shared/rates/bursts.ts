import { createHash } from 'node:crypto';
import type { RateConfig } from './config.ts';

/** The open burst of a key: one finding per burst, not one per anomalous minute. */
export interface BurstState {
  /** Deterministic: hash of key id and first anomalous minute. */
  id: string;
  startMinute: number;
  lastMinute: number;
  /** Count of the minute that last raised a finding (its running total, as later batches add to it). */
  alertedCount: number;
  /** The minute that last raised a finding: its own growth (a partial minute filling up) is not news. */
  alertedMinute: number;
  /** Findings raised for this burst so far. */
  alerts: number;
}

export interface BurstDecision {
  /** Raise a finding now. */
  alert: boolean;
  /** `new` burst, `grew` markedly, or `continuing` (no finding). */
  reason: 'new' | 'grew' | 'continuing';
  next: BurstState;
}

/** Deterministic burst id, so replaying history gives the same finding ids as live. */
export function burstId(keyId: string, startMinute: number): string {
  return `rate-${createHash('sha256').update(`${keyId}\u0000${startMinute}`).digest('hex').slice(0, 32)}`;
}

/** Decides whether an anomalous minute opens a burst, grows one markedly, or just continues it. */
export function onAnomalousMinute(keyId: string, current: BurstState | null, minute: number, observed: number, cfg: RateConfig): BurstDecision {
  const open = current && minute - current.lastMinute <= cfg.quietMinutes && minute >= current.startMinute - cfg.quietMinutes;
  if (!open) {
    return { alert: true, reason: 'new', next: { id: burstId(keyId, minute), startMinute: minute, lastMinute: minute, alertedCount: observed, alertedMinute: minute, alerts: 1 } };
  }
  const next: BurstState = { ...current, lastMinute: Math.max(current.lastMinute, minute) };
  if (minute === current.alertedMinute) {
    next.alertedCount = Math.max(current.alertedCount, observed);
    return { alert: false, reason: 'continuing', next };
  }
  if (observed >= cfg.realertGrowth * current.alertedCount) {
    next.alertedCount = observed;
    next.alertedMinute = minute;
    next.alerts = current.alerts + 1;
    return { alert: true, reason: 'grew', next };
  }
  return { alert: false, reason: 'continuing', next };
}
