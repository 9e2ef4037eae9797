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

/** `meta.matches` uses this for "any eventSource" / "any eventName" (shared/detections/finding.ts). */
export const ANY = '*';

/**
 * Detections whose matches are wildcards decide on something other than (eventSource, eventName)
 * — e.g. root-activity fires on any call whose userIdentity.type is Root. A wildcard rule would
 * route every CloudTrail event in the account to Lambda, so each one needs its narrowing here;
 * `patternFor` refuses a wildcard detection that has none.
 */
export const WILDCARD_RULES: Record<string, { pattern: EventPattern; readOnlyEvents: boolean }> = {
  'root-activity': {
    pattern: {
      $or: [
        // Any API call made with root credentials (read-only ones too: the detection grades them).
        { source: [{ prefix: 'aws.' }], 'detail-type': [API_CALL_DETAIL_TYPE], detail: { userIdentity: { type: ['Root'] } } },
        // Centralized root access: the management account's sts:AssumeRoot call itself.
        { source: ['aws.sts'], 'detail-type': [API_CALL_DETAIL_TYPE], detail: { eventSource: ['sts.amazonaws.com'], eventName: ['AssumeRoot'] } },
        // Root console actions logged as sign-in events other than ConsoleLogin (PasswordUpdated,
        // password recovery…). ConsoleLogin and the sign-in steps belong to root-signin.
        {
          source: ['aws.signin'],
          'detail-type': ['AWS Console Sign In via CloudTrail'],
          detail: { userIdentity: { type: ['Root'] }, eventName: [{ 'anything-but': ['ConsoleLogin', 'CheckMfa', 'CredentialChallenge', 'CredentialVerification'] }] },
        },
      ],
    },
    readOnlyEvents: true,
  },
};

function hasWildcard(matches: readonly EventMatch[]): boolean {
  return matches.some((m) => m.eventSource.includes(ANY) || m.eventName.includes(ANY));
}

/**
 * The event pattern for a detection. One eventSource gives a plain pattern; several give a `$or`
 * of per-source patterns, so a name listed for one service never matches on another (exact).
 */
export function patternFor(matches: readonly EventMatch[], detectionId?: string): EventPattern {
  if (hasWildcard(matches)) {
    const special = detectionId ? WILDCARD_RULES[detectionId] : undefined;
    if (!special) throw new Error(`detection ${detectionId ?? '?'} matches any eventSource/eventName: add its narrowing to WILDCARD_RULES in shared/pipeline/event-rules.ts`);
    return special.pattern;
  }
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

export function needsReadOnlyEvents(matches: readonly EventMatch[], detectionId?: string): boolean {
  const special = detectionId ? WILDCARD_RULES[detectionId] : undefined;
  if (special && hasWildcard(matches)) return special.readOnlyEvents;
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
    pattern: patternFor(d.matches, d.id),
    state: needsReadOnlyEvents(d.matches, d.id) ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED',
  }));
}
