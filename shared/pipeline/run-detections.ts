import { makeFinding } from '../detections/finding.ts';
import type { Detection, DetectionContext } from '../detections/types.ts';
import { boundText } from '../model/finding-bounds.ts';
import { normalize } from '../model/normalize.ts';
import type { Finding, Skip, TrailEvent } from '../model/types.ts';
import type { RunCounts } from '../sinks/types.ts';

export interface DetectionRun {
  events: TrailEvent[];
  findings: Finding[];
  skips: Skip[];
  /** Detections that threw on an event: counted as skips too, the run goes on. */
  errors: Array<{ detection: string; eventId: string; message: string }>;
}

/**
 * The finding that stands in for a detection that threw on an event: the event matched a
 * detection that could not judge it, so a person must. It carries the detection's default
 * severity and `details.detectionError`, so the alert still goes out and the DetectionErrors
 * metric is not the only trace (a throw used to lose the finding while the invocation succeeded).
 */
export function detectionErrorFinding(detection: Detection, event: TrailEvent, error: Error): Finding {
  const message = boundText(String(error?.message ?? error), 500);
  return makeFinding(detection, event, {
    title: `${detection.title}: the detection failed on this ${event.name} event and could not judge it; review the event`,
    details: { detectionError: message },
  });
}

/**
 * Runs every detection on one normalised event. A detection that throws is reported (`onError`)
 * and replaced by {@link detectionErrorFinding}; the other detections are unaffected.
 */
export function detectOne(
  event: TrailEvent,
  detections: readonly Detection[],
  context: DetectionContext | undefined,
  onError: (detection: string, error: Error) => void,
): Finding[] {
  const findings: Finding[] = [];
  for (const d of detections) {
    try {
      findings.push(...d.detect(event, context));
    } catch (error) {
      onError(d.id, error as Error);
      findings.push(detectionErrorFinding(d, event, error as Error));
    }
  }
  return findings;
}

/** Normalises each input and runs the detections: the stateless half of every Trailwatch run. */
export function runDetections(
  inputs: Iterable<{ value: unknown; origin?: string }>,
  detections: readonly Detection[],
  context?: DetectionContext,
): DetectionRun {
  const run: DetectionRun = { events: [], findings: [], skips: [], errors: [] };
  for (const { value, origin } of inputs) {
    const result = normalize(value);
    if (!result.ok) {
      run.skips.push(origin ? { ...result.skip, origin } : result.skip);
      continue;
    }
    run.events.push(result.event);
    run.findings.push(
      ...detectOne(result.event, detections, context, (detection, error) => {
        run.errors.push({ detection, eventId: result.event.id, message: error.message });
      }),
    );
  }
  return run;
}

/** Tallies a run into the counts the metrics sink publishes and the replay summary prints. */
export function countRun(processed: number, skips: readonly Skip[], findings: readonly Finding[]): RunCounts {
  const skipReasons: Record<string, number> = {};
  for (const s of skips) {
    // Group "unsupported detail-type X" etc. by their leading words so metrics stay low-cardinality.
    skipReasons[s.reason] = (skipReasons[s.reason] ?? 0) + 1;
  }
  const byKey = new Map<string, RunCounts['findings'][number]>();
  for (const f of findings) {
    const key = `${f.detection}\u0000${f.severity}`;
    const entry = byKey.get(key);
    if (entry) entry.count += 1;
    else byKey.set(key, { detection: f.detection, severity: f.severity, count: 1 });
  }
  const counts: RunCounts = { eventsProcessed: processed, eventsSkipped: skips.length, skipReasons, findings: [...byKey.values()] };
  // Routing counts (shared/routing): what went where, and how much a suppression kept quiet.
  for (const f of findings) {
    if (f.route) (counts.routes ??= {})[f.route] = (counts.routes?.[f.route] ?? 0) + 1;
    if (f.suppressed) counts.suppressed = (counts.suppressed ?? 0) + 1;
  }
  return counts;
}
