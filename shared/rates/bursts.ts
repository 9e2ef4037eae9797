import { createHash } from 'node:crypto';
import { severityRank, type Severity } from '../model/types.ts';
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
  /** Severity of the last finding raised (absent in state written before severities were tracked). */
  severity?: Severity;
  /** Calls in the burst's anomalous minutes before `lastMinute`. */
  total?: number;
  /** Count of `lastMinute` as last seen. */
  lastCount?: number;
  /** Distinct anomalous minutes so far. */
  minutes?: number;
  /** Busiest anomalous minute so far. */
  peak?: number;
}

/** The whole burst as it stands, including the minute just evaluated: what its severity follows. */
export interface BurstFacts {
  /** This minute's count. */
  observed: number;
  /** Calls in all anomalous minutes of the burst. */
  total: number;
  /** Distinct anomalous minutes. */
  minutes: number;
  /** Busiest anomalous minute. */
  peak: number;
}

export interface BurstDecision {
  /** Raise a finding now. */
  alert: boolean;
  /** `new` burst, `grew` markedly, `escalated` to a higher severity, or `continuing` (no finding). */
  reason: 'new' | 'grew' | 'escalated' | 'continuing';
  /** Severity of the burst as a whole, now. */
  severity: Severity;
  facts: BurstFacts;
  next: BurstState;
}

/** Deterministic burst id, so replaying history gives the same finding ids as live. */
export function burstId(keyId: string, startMinute: number): string {
  return `rate-${createHash('sha256').update(`${keyId}\u0000${startMinute}`).digest('hex').slice(0, 32)}`;
}

/** Adds one anomalous minute's (running) count to the burst's totals. */
function accumulate(current: BurstState, minute: number, observed: number): BurstState {
  const next: BurstState = { ...current };
  const lastCount = current.lastCount ?? current.alertedCount;
  const total = current.total ?? 0;
  const minutes = current.minutes ?? 1;
  if (minute === current.lastMinute) {
    next.lastCount = Math.max(lastCount, observed);
  } else if (minute > current.lastMinute) {
    next.total = total + lastCount;
    next.lastCount = observed;
    next.lastMinute = minute;
    next.minutes = minutes + 1;
  } else {
    // A late minute of this burst (batches overlap in time): it adds to the total.
    next.total = total + observed;
    next.minutes = minutes + 1;
  }
  next.peak = Math.max(current.peak ?? current.alertedCount, observed);
  return next;
}

function factsOf(b: BurstState, observed: number): BurstFacts {
  return { observed, total: (b.total ?? 0) + (b.lastCount ?? b.alertedCount), minutes: b.minutes ?? 1, peak: b.peak ?? b.alertedCount };
}

/**
 * Decides whether an anomalous minute opens a burst, grows one markedly, raises its severity, or just
 * continues it. `judge` grades the whole burst as it stands (so a burst that started as a partial
 * minute of 40 errors and became 300 a minute for four minutes ends high): a rise in severity always
 * alerts again, even within the minute that already alerted.
 */
export function onAnomalousMinute(
  keyId: string,
  current: BurstState | null,
  minute: number,
  observed: number,
  cfg: RateConfig,
  judge: (facts: BurstFacts) => Severity = () => 'medium',
): BurstDecision {
  const open = current && minute - current.lastMinute <= cfg.quietMinutes && minute >= current.startMinute - cfg.quietMinutes;
  if (!open) {
    const fresh: BurstState = { id: burstId(keyId, minute), startMinute: minute, lastMinute: minute, alertedCount: observed, alertedMinute: minute, alerts: 1, total: 0, lastCount: observed, minutes: 1, peak: observed };
    const facts = factsOf(fresh, observed);
    const severity = judge(facts);
    fresh.severity = severity;
    return { alert: true, reason: 'new', severity, facts, next: fresh };
  }
  const next = accumulate(current, minute, observed);
  const facts = factsOf(next, observed);
  const severity = judge(facts);
  const escalated = current.severity !== undefined && severityRank(severity) > severityRank(current.severity);
  const raise = (reason: 'grew' | 'escalated'): BurstDecision => {
    next.alertedCount = observed;
    next.alertedMinute = minute;
    next.alerts = current.alerts + 1;
    next.severity = current.severity !== undefined && severityRank(current.severity) > severityRank(severity) ? current.severity : severity;
    return { alert: true, reason, severity: next.severity, facts, next };
  };
  if (escalated) return raise('escalated');
  if (minute === current.alertedMinute) {
    next.alertedCount = Math.max(current.alertedCount, observed);
    return { alert: false, reason: 'continuing', severity, facts, next };
  }
  if (observed >= cfg.realertGrowth * current.alertedCount) return raise('grew');
  return { alert: false, reason: 'continuing', severity, facts, next };
}
