import { makeFinding } from '../finding.ts';
import type { DetectionContext, DetectionMeta, EventMatch, Finding, Severity, TrailEvent } from '../types.ts';
import { failed, where, who } from './describe.ts';

/**
 * What one call did, as a detection judges it: severity, a short effect for the title, the resource
 * it touched, and — when the change is dangerous whoever made it — the `inherentRisk` reason.
 */
export interface Verdict {
  severity: Severity;
  /** Lower-case phrase, e.g. "EBS snapshot shared with another account". */
  effect: string;
  /** The resource acted on (id, name or ARN), shown in the title and details. */
  resource?: string;
  /** Set when the content is dangerous in itself (public sharing, key leaked…): never demoted as routine. */
  inherentRisk?: string;
  /** Extra detection-specific facts for `Finding.details`. */
  details?: Record<string, unknown>;
}

/** Judges one call; undefined means "this call does not do what the detection reports". */
export type Judge = (event: TrailEvent, context?: DetectionContext) => Verdict | undefined;

/** Per eventSource, per eventName: the judge for that call. */
export type JudgeTable = Record<string, Record<string, Judge>>;

/** A judge that always returns the same verdict. */
export const fixed =
  (severity: Severity, effect: string, resource?: (e: TrailEvent) => string | undefined, inherentRisk?: string): Judge =>
  (e) => {
    const verdict: Verdict = { severity, effect };
    const r = resource?.(e);
    if (r) verdict.resource = r;
    if (inherentRisk) verdict.inherentRisk = inherentRisk;
    return verdict;
  };

/** The `matches` of a detection built from a judge table: one match set per eventSource, names sorted. */
export function matchesOf(table: JudgeTable): EventMatch[] {
  return Object.entries(table).map(([eventSource, byName]) => ({ eventSource: [eventSource], eventName: Object.keys(byName).sort() }));
}

export interface JudgedOptions {
  /**
   * Pass failed calls (errorCode set) to the judges too. Default false: a failed call changed nothing.
   * Detections that report denied attempts (reconnaissance, resource hijacking) set it and check
   * `failed(event)` in their judges.
   */
  judgeFailures?: boolean;
}

/**
 * A `detect` for a table-driven detection: looks the call up, asks its judge, and turns the verdict
 * into one finding titled "<who>: <effect> (<resource>) in <account> (<region>)".
 */
export function judgedDetect(meta: DetectionMeta, table: JudgeTable, options: JudgedOptions = {}): (event: TrailEvent, context?: DetectionContext) => Finding[] {
  return (event, context) => {
    const judge = table[event.source]?.[event.name];
    if (!judge || !Object.hasOwn(table[event.source] ?? {}, event.name)) return [];
    if (failed(event) && !options.judgeFailures) return [];
    const verdict = judge(event, context);
    if (!verdict) return [];
    const attempt = failed(event) ? ` — attempt failed (${event.errorCode})` : '';
    const finding = makeFinding(meta, event, {
      title: `${who(event)}: ${verdict.effect}${verdict.resource ? ` (${verdict.resource})` : ''} ${where(event)}${attempt}`,
      severity: verdict.severity,
      details: {
        service: event.source.replace(/\.amazonaws\.com$/, ''),
        action: event.name,
        effect: verdict.effect,
        ...(verdict.resource ? { resource: verdict.resource } : {}),
        ...(failed(event) ? { errorCode: event.errorCode } : {}),
        ...verdict.details,
      },
    });
    if (verdict.inherentRisk) finding.inherentRisk = verdict.inherentRisk;
    return [finding];
  };
}
