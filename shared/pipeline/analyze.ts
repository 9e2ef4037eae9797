import type { Detection, DetectionContext } from '../detections/types.ts';
import type { Log } from '../log.ts';
import { boundFindings } from '../model/finding-bounds.ts';
import { silentLog } from '../log.ts';
import type { Finding, Skip, TrailEvent } from '../model/types.ts';
import type { RunCounts } from '../sinks/types.ts';
import type { FindingEnricher } from './enrichers.ts';
import { countRun, runDetections } from './run-detections.ts';

export interface AnalyzeOptions {
  detections: readonly Detection[];
  context?: DetectionContext;
  enrichers?: readonly FindingEnricher[];
  log?: Log;
}

export interface Analysis {
  events: TrailEvent[];
  findings: Finding[];
  skips: Skip[];
  counts: RunCounts;
}

/**
 * The stateless half of every run, shared by the Lambda handler and the replay CLI: normalise each
 * input, run every detection, apply the enrichers, bound every finding (`shared/model/finding-bounds.ts`). Skips and detection errors are logged with
 * their reason and counted — nothing vanishes, nothing throws.
 */
export async function analyzeEvents(inputs: Iterable<{ value: unknown; origin?: string }>, options: AnalyzeOptions): Promise<Analysis> {
  const log = options.log ?? silentLog;
  const run = runDetections(inputs, options.detections, options.context);
  for (const skip of run.skips) log.warn('event skipped', { reason: skip.reason, ...(skip.origin ? { origin: skip.origin } : {}), ...(skip.eventId ? { eventId: skip.eventId } : {}) });
  for (const e of run.errors) log.error('detection threw', { detection: e.detection, eventId: e.eventId, error: e.message });
  // Bounded before anything leaves the pipeline: one hostile field can never make a finding unsendable.
  const findings = boundFindings(await enrich(run.findings, options.enrichers ?? [], log));
  const counts = countRun(run.events.length, run.skips, findings);
  if (run.errors.length > 0) counts.detectionErrors = run.errors.length;
  return { events: run.events, findings, skips: run.skips, counts };
}

/** Applies enrichers in order; one that throws (it should not) is logged and bypassed. */
export async function enrich(findings: Finding[], enrichers: readonly FindingEnricher[], log: Log): Promise<Finding[]> {
  let current = findings;
  if (current.length === 0) return current;
  for (const enricher of enrichers) {
    try {
      current = await enricher.enrich(current);
    } catch (error) {
      log.error('enricher threw; findings delivered without its enrichment', { enricher: enricher.name, error: (error as Error).message });
    }
  }
  return current;
}
