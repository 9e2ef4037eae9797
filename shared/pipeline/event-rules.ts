import type { Detection, EventMatch } from '../detections/types.ts';

/**
 * EventBridge rules derived from the detection registry: one rule per detection, matching exactly
 * the (eventSource, eventName) sets in its `meta.matches`. The CloudFormation generator
 * (scripts/event-rules.ts) and the tests use the same functions, so what is deployed is what is tested.
 */

/** Detail-type for console sign-in events (`source: aws.signin`); everything else is an API call. */
export const SIGNIN_DETAIL_TYPE = 'AWS Console Sign In via CloudTrail';
export const API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * EventBridge `source` for CloudTrail events of a service: `aws.` + the eventSource host's first
 * label, except where the service's EventBridge namespace differs from its endpoint name.
 */
const SOURCE_EXCEPTIONS: Record<string, string> = {
  'monitoring.amazonaws.com': 'aws.cloudwatch',
};

export function eventBridgeSource(eventSource: string): string {
  const known = SOURCE_EXCEPTIONS[eventSource];
  if (known) return known;
  return `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`;
}

export function detailTypeFor(eventSource: string): string {
  return eventSource === 'signin.amazonaws.com' ? SIGNIN_DETAIL_TYPE : API_CALL_DETAIL_TYPE;
}

/** An EventBridge event pattern (the JSON that goes into `EventPattern`). */
export type EventPattern = Record<string, unknown>;

function sorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** The pattern for one match set: one source, its detail-type, its eventSource and eventNames. */
function patternForSource(eventSource: string, eventNames: readonly string[]): EventPattern {
  return {
    source: [eventBridgeSource(eventSource)],
    'detail-type': [detailTypeFor(eventSource)],
    detail: { eventSource: [eventSource], eventName: sorted(eventNames) },
  };
}

/**
 * The event pattern for a detection. One eventSource gives a plain pattern; several give a `$or`
 * of per-source patterns, so a name listed for one service never matches on another (exact).
 */
export function patternFor(matches: readonly EventMatch[]): EventPattern {
  const bySource = new Map<string, string[]>();
  for (const m of matches) {
    for (const source of m.eventSource) {
      const names = bySource.get(source) ?? [];
      names.push(...m.eventName);
      bySource.set(source, names);
    }
  }
  if (bySource.size === 0) throw new Error('a detection rule needs at least one eventSource');
  const parts = [...bySource.keys()].sort().map((source) => patternForSource(source, bySource.get(source) ?? []));
  if (parts.length === 1) return parts[0] as EventPattern;
  return { $or: parts };
}

/**
 * Read-only management events (Get/List/Describe…) reach a rule only when its State is
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS; a rule that names one needs that state.
 */
const READ_ONLY_NAME = /^(Get|List|Describe|Lookup|BatchGet|Search|Head|Check|Scan|Query)[A-Z]/;

export function needsReadOnlyEvents(matches: readonly EventMatch[]): boolean {
  return matches.some((m) => m.eventName.some((n) => READ_ONLY_NAME.test(n)));
}

export interface DetectionRule {
  detection: string;
  /** CloudFormation logical id suffix (alphanumeric). */
  logicalId: string;
  /** Rule name suffix after `<stack>-`; ≤ 64 chars overall is enforced by the generator. */
  nameSuffix: string;
  pattern: EventPattern;
  state: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
}

/** One rule per detection, in registry order. */
export function detectionRules(detections: readonly Pick<Detection, 'id' | 'matches'>[]): DetectionRule[] {
  return detections.map((d) => ({
    detection: d.id,
    logicalId: d.id.replace(/(^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_m, _sep, c: string) => c.toUpperCase()),
    nameSuffix: `d-${d.id}`,
    pattern: patternFor(d.matches),
    state: needsReadOnlyEvents(d.matches) ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED',
  }));
}
