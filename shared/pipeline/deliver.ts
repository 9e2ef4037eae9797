import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { boundFindings } from '../model/finding-bounds.ts';
import type { Finding } from '../model/types.ts';
import { DeliveryError } from '../sinks/errors.ts';
import type { FindingSink, MetricsSink, RunCounts } from '../sinks/types.ts';

export interface DeliveryTargets {
  /** Where findings go (SNS, EventBridge, console…). All are attempted even if one fails. */
  sinks: readonly FindingSink[];
  /** Where the run's counts go (CloudWatch). Best effort: see `deliverFindings`. */
  metrics?: MetricsSink;
  /**
   * Also count findings per account (`byAccount`: the `Findings` metric with an `Account`
   * dimension; organization mode, docs/organization.md). Every producer passes its setting, so
   * detect, rates, the MFA sweep and the heartbeat check feed the same per-account graph.
   */
  perAccount?: boolean;
  log?: Log;
}

export interface DeliveryReport {
  delivered: number;
  sinks: string[];
}

/**
 * Hands a batch of findings to every sink, then flushes the run's counts as metrics. Used by the
 * detect handler and by other handlers that produce findings (API-rate anomalies).
 *
 * Every sink is attempted; if any failed, a DeliveryError (listing each failure) is thrown after
 * the metrics flush, so the Lambda invocation fails and its retry / on-failure queue keeps the
 * event — findings are never dropped. Delivery is therefore at least once: a retry may repeat an
 * alert that already went out; consumers can de-duplicate on `eventId` + `detection`.
 * A metrics failure is logged, not thrown: re-running the event would re-send every alert just to
 * repair a graph.
 */
export async function deliverFindings(findings: readonly Finding[], counts: RunCounts, targets: DeliveryTargets): Promise<DeliveryReport> {
  const log = targets.log ?? silentLog;
  const errors: Array<{ sink: string; error: Error }> = [];
  if (findings.length > 0) {
    // Every producer (detect, rates) goes through here: bound each finding once before any sink.
    const bounded = boundFindings(findings);
    const results = await Promise.allSettled(targets.sinks.map((s) => s.publish(bounded)));
    results.forEach((r, i) => {
      const sink = targets.sinks[i]?.name ?? `sink#${i}`;
      if (r.status === 'rejected') {
        const error = r.reason instanceof Error ? r.reason : new Error(String(r.reason));
        errors.push({ sink, error });
        log.error('sink failed', { sink, error: error.message, findings: findings.length });
      }
    });
  }
  if (targets.metrics) {
    try {
      await targets.metrics.flush(targets.perAccount === true ? { ...counts, byAccount: findingsByAccount(findings) } : counts);
    } catch (error) {
      log.error('metrics flush failed (findings are unaffected)', { sink: targets.metrics.name, error: (error as Error).message });
    }
  }
  if (errors.length > 0) throw new DeliveryError(errors);
  return { delivered: findings.length, sinks: targets.sinks.map((s) => s.name) };
}

/** Findings per account id, for the per-account `Findings` metric. */
export function findingsByAccount(findings: readonly { account: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) if (/^\d{12}$/.test(f.account)) out[f.account] = (out[f.account] ?? 0) + 1;
  return out;
}
