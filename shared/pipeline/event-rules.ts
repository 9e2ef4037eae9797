import { offensiveToolPatterns } from '../detections/lib/offensive-tools.ts';
import { EXTERNAL_FINDING_DETAIL_TYPES } from '../model/external-findings.ts';
import type { Detection, EventMatch } from '../detections/types.ts';
import { SIGNIN_REGIONS } from '../detections/lib/global-services.ts';
import type { ApprovedRegions } from '../tuning/types.ts';

/**
 * EventBridge rules derived from the detection registry, designed so that each (detection,
 * CloudTrail event) is produced exactly once however many detections watch the event:
 *
 * - **Named rules** partition the (eventSource, eventName) pairs of every detection's `matches`:
 *   each pair is in exactly one rule, so an event reaches at most one named rule, and detect runs
 *   every detection that lists its pair (`route: named`).
 * - **Wildcard rules** (one per wildcard detection, e.g. root-activity's `userIdentity.type Root`)
 *   may overlap named rules; their target input names the detection (`route: wildcard:<id>`) and
 *   detect runs only that one.
 *
 * Every rule's target wraps the event as `{"trailwatch":{"route":…},"event":<the event>}` with an
 * InputTransformer (shared/pipeline/routing.ts reads it). Rules are packed to stay within
 * EventBridge's quotas (pattern size, rules per bus, rules using `wildcard`; see `ROUTING_LIMITS`). The CloudFormation
 * generator (scripts/event-rules.ts), the detect handler and the tests use these same functions,
 * so what is deployed is what is tested.
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
export const WILDCARD_RULES: Record<string, WildcardRule> = {
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
  // Any call (read-only too: tools start with GetCallerIdentity and List*) whose user agent matches
  // an offensive-tool fingerprint; the same wildcard strings the detection tests.
  'offensive-tool-user-agent': {
    pattern: {
      source: [{ prefix: 'aws.' }],
      'detail-type': [API_CALL_DETAIL_TYPE, SIGNIN_DETAIL_TYPE],
      detail: { userAgent: offensiveToolPatterns().map((wildcard) => ({ wildcard })) },
    },
    readOnlyEvents: true,
  },
  // Calls made with an EC2 instance role's session (session name i-…). EventBridge cannot exclude
  // AWS's thousands of CIDRs, so every instance-role call reaches the detection, which decides by
  // the bundled ip-ranges snapshot (see docs/detections.md for the invocation cost).
  'instance-credentials-elsewhere': {
    pattern: {
      source: [{ prefix: 'aws.' }],
      'detail-type': [API_CALL_DETAIL_TYPE],
      detail: { userIdentity: { type: ['AssumedRole'], principalId: [{ wildcard: '*:i-*' }] } },
    },
    readOnlyEvents: true,
  },
  // Writes outside the tuning file's approvedRegions: no rule at all without them (the detection
  // is inactive), so a zero-configuration stack does not send every write to Lambda.
  'unused-region-activity': {
    pattern: { source: [{ prefix: 'aws.' }], 'detail-type': [API_CALL_DETAIL_TYPE, SIGNIN_DETAIL_TYPE] },
    readOnlyEvents: false,
    tuned: (tuning) => unapprovedRegionPattern(tuning.approvedRegions),
  },
  // Other AWS detectors' findings: their own detail-types, not CloudTrail (shared/model/external-findings.ts).
  'aws-security-findings': {
    pattern: {
      $or: Object.entries(EXTERNAL_FINDING_DETAIL_TYPES).map(([detailType, { service }]) => ({ source: [`aws.${service}`], 'detail-type': [detailType] })),
    },
    readOnlyEvents: false,
  },
};

/**
 * A wildcard detection's rule. `pattern` is what the detection can possibly fire on (the replay
 * index keys on it); `tuned`, when present, is the rule actually deployed, built from the tuning
 * file at package time — undefined means no rule (the detection needs that tuning to report anything).
 */
export interface WildcardRule {
  pattern: EventPattern;
  readOnlyEvents: boolean;
  tuned?: (tuning: RuleTuning) => EventPattern | undefined;
}

/** The parts of the tuning file (trailwatch.config.yaml) the rule generator reads. */
export interface RuleTuning {
  approvedRegions?: ApprovedRegions;
}

/**
 * unused-region-activity's deployed pattern: CloudTrail calls and sign-ins whose region is outside
 * the list that applies to their account — per-account lists first (grouped by identical list),
 * then the organization-wide list for every other account. Read-only events never reach it (the
 * rule's state is ENABLED); the detection makes the exemptions a pattern cannot (global services,
 * AWS services acting on their own).
 */
export function unapprovedRegionPattern(approved: ApprovedRegions | undefined): EventPattern | undefined {
  if (!approved) return undefined;
  // Calls outside the list; sign-ins outside the list and the regions sign-ins land in anyway.
  const pair = (accounts: Record<string, unknown>, regions: readonly string[]): EventPattern[] => [
    { source: [{ prefix: 'aws.' }], 'detail-type': [API_CALL_DETAIL_TYPE], detail: { ...accounts, awsRegion: [{ 'anything-but': sorted(regions) }] } },
    { source: ['aws.signin'], 'detail-type': [SIGNIN_DETAIL_TYPE], detail: { ...accounts, awsRegion: [{ 'anything-but': sorted([...regions, ...SIGNIN_REGIONS]) }] } },
  ];
  const byList = new Map<string, { regions: string[]; accounts: string[] }>();
  for (const a of approved.accounts ?? []) {
    const regions = sorted(a.regions);
    const key = regions.join(',');
    const group = byList.get(key) ?? { regions, accounts: [] };
    group.accounts.push(a.id);
    byList.set(key, group);
  }
  const branches: EventPattern[] = [...byList.values()].flatMap((g) => pair({ recipientAccountId: sorted(g.accounts) }, g.regions));
  const own = sorted((approved.accounts ?? []).map((a) => a.id));
  if (approved.regions) branches.push(...pair(own.length > 0 ? { recipientAccountId: [{ 'anything-but': own }] } : {}, approved.regions));
  if (branches.length === 0) return undefined;
  return branches.length === 1 ? (branches[0] as EventPattern) : { $or: branches };
}

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

/**
 * EventBridge quotas the generator stays inside (Amazon EventBridge quotas page): an event pattern
 * is at most 2,048 characters by default (adjustable to 4,096); a bus holds 300 rules by default
 * (100 in af-south-1 and eu-south-1), shared with everything else in the account and region; at most 30 rules per bus may use the
 * `wildcard` operator (not adjustable). We budget below all three: patterns are measured as
 * compact JSON against 1,800 characters (CloudFormation may serialise with spaces), Trailwatch
 * allows itself at most 60 detect rules on the default bus, and at most 10 of them with `wildcard`.
 */
export const ROUTING_LIMITS = { maxPatternChars: 1800, maxRules: 60, maxWildcardOperatorRules: 10 } as const;
export interface RoutingLimits {
  maxPatternChars: number;
  maxRules: number;
  /** Rules whose pattern uses the `wildcard` operator (default `ROUTING_LIMITS.maxWildcardOperatorRules`). */
  maxWildcardOperatorRules?: number;
}

/** True when a pattern uses EventBridge's `wildcard` operator anywhere (such rules have their own quota). */
export function usesWildcardOperator(pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some(usesWildcardOperator);
  if (pattern === null || typeof pattern !== 'object') return false;
  return Object.entries(pattern).some(([k, v]) => k === 'wildcard' || usesWildcardOperator(v));
}

/** Raised when the registry cannot be routed within the limits (generation fails, nothing deploys). */
export class RoutingLimitError extends Error {
  override name = 'RoutingLimitError';
}

/** The route a named rule delivers with: run every detection that lists the event's pair. */
export const NAMED_ROUTE = 'named';
/** The route of a wildcard detection's rule: run that detection only. */
export function wildcardRoute(detectionId: string): string {
  return `wildcard:${detectionId}`;
}

export interface DetectionRule {
  /** Stable key: `named-01`… or `w-<detection id>`. */
  key: string;
  /** CloudFormation logical id suffix (alphanumeric). */
  logicalId: string;
  /** Rule name suffix after `<stack>-`; ≤ 64 chars overall is enforced by the generator. */
  nameSuffix: string;
  /** What the target input tells detect to run (see shared/pipeline/routing.ts). */
  route: string;
  /** Detections this rule feeds (for descriptions, docs and tests). */
  detections: string[];
  pattern: EventPattern;
  state: 'ENABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
}

type Routable = Pick<Detection, 'id' | 'matches'>;

/** True when the detection is routed by its own wildcard rule rather than by its (source, name) pairs. */
export function isWildcardDetection(d: Routable): boolean {
  return hasWildcard(d.matches);
}

/** eventSource → eventName → ids of the (non-wildcard) detections that list the pair. */
export function namedPairIndex(detections: readonly Routable[]): Map<string, Map<string, string[]>> {
  const index = new Map<string, Map<string, string[]>>();
  for (const d of detections) {
    if (isWildcardDetection(d)) continue;
    for (const m of d.matches) {
      for (const source of m.eventSource) {
        const names = index.get(source) ?? new Map<string, string[]>();
        index.set(source, names);
        for (const name of m.eventName) {
          const ids = names.get(name) ?? [];
          if (!ids.includes(d.id)) ids.push(d.id);
          names.set(name, ids);
        }
      }
    }
  }
  return index;
}

function patternOf(branches: EventPattern[]): EventPattern {
  return branches.length === 1 ? (branches[0] as EventPattern) : { $or: branches };
}

function sizeOf(pattern: EventPattern): number {
  return JSON.stringify(pattern).length;
}

/**
 * Packs every named (eventSource, eventName) pair into as few rules as fit the pattern budget, in
 * sorted order (so adding a name changes few rules). A source too large for one rule is split by
 * name across rules; the parts stay disjoint.
 */
function packNamedPairs(index: Map<string, Map<string, string[]>>, limits: RoutingLimits): Array<{ branches: EventPattern[]; names: Array<[string, string]> }> {
  const rules: Array<{ branches: EventPattern[]; names: Array<[string, string]> }> = [];
  let current: { branches: EventPattern[]; names: Array<[string, string]> } = { branches: [], names: [] };
  const close = (): void => {
    if (current.branches.length > 0) rules.push(current);
    current = { branches: [], names: [] };
  };
  for (const source of [...index.keys()].sort()) {
    let pending = [...(index.get(source)?.keys() ?? [])].sort();
    while (pending.length > 0) {
      // The most names of this source that still fit into the current rule as one more branch.
      let taken = 0;
      while (taken < pending.length && sizeOf(patternOf([...current.branches, patternForSource(source, pending.slice(0, taken + 1))])) <= limits.maxPatternChars) taken++;
      if (taken === 0) {
        if (current.branches.length === 0) throw new RoutingLimitError(`eventName ${pending[0]} of ${source} alone exceeds the ${limits.maxPatternChars}-character pattern budget`);
        close();
        continue;
      }
      const names = pending.slice(0, taken);
      current.branches.push(patternForSource(source, names));
      current.names.push(...names.map((n): [string, string] => [source, n]));
      pending = pending.slice(taken);
      if (pending.length > 0) close();
    }
  }
  close();
  return rules;
}

function logicalIdOf(text: string): string {
  return text.replace(/(^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());
}

/**
 * The detect rules for a registry: named rules (disjoint, packed) first, then one rule per wildcard
 * detection. Throws RoutingLimitError when a pattern or the rule count would exceed `limits`.
 */
export function detectionRules(detections: readonly Routable[], limits: RoutingLimits = ROUTING_LIMITS, tuning: RuleTuning = {}): DetectionRule[] {
  const index = namedPairIndex(detections);
  const rules: DetectionRule[] = packNamedPairs(index, limits).map((packed, i) => {
    const key = `named-${String(i + 1).padStart(2, '0')}`;
    const ids = new Set(packed.names.flatMap(([source, name]) => index.get(source)?.get(name) ?? []));
    return {
      key,
      logicalId: logicalIdOf(key),
      nameSuffix: `detect-${key}`,
      route: NAMED_ROUTE,
      detections: [...ids].sort(),
      pattern: patternOf(packed.branches),
      state: packed.names.some(([, n]) => READ_ONLY_NAME.test(n)) ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED',
    };
  });
  for (const d of [...detections].filter(isWildcardDetection).sort((a, b) => a.id.localeCompare(b.id))) {
    const tuned = WILDCARD_RULES[d.id]?.tuned;
    const pattern = tuned ? tuned(tuning) : patternFor(d.matches, d.id);
    // A detection that needs tuning the file does not give gets no rule: it could report nothing.
    if (pattern === undefined) continue;
    if (sizeOf(pattern) > limits.maxPatternChars) throw new RoutingLimitError(`the wildcard pattern of ${d.id} exceeds the ${limits.maxPatternChars}-character budget`);
    rules.push({
      key: `w-${d.id}`,
      logicalId: logicalIdOf(`w-${d.id}`),
      nameSuffix: `detect-w-${d.id}`,
      route: wildcardRoute(d.id),
      detections: [d.id],
      pattern,
      state: needsReadOnlyEvents(d.matches, d.id) ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED',
    });
  }
  if (rules.length > limits.maxRules) throw new RoutingLimitError(`${rules.length} detect rules exceed the budget of ${limits.maxRules} on the default bus`);
  const wildcardBudget = limits.maxWildcardOperatorRules ?? ROUTING_LIMITS.maxWildcardOperatorRules;
  const withWildcard = rules.filter((r) => usesWildcardOperator(r.pattern));
  if (withWildcard.length > wildcardBudget)
    throw new RoutingLimitError(`${withWildcard.length} detect rules use the wildcard operator (${withWildcard.map((r) => r.key).join(', ')}); the budget is ${wildcardBudget} of EventBridge's 30 per bus`);
  return rules;
}

/** The target InputTemplate of a rule: the route, and the whole original event (`aws.events.event.json`). */
export function inputTemplate(route: string): string {
  return `{"trailwatch":{"route":${JSON.stringify(route)}},"event":<aws.events.event.json>}`;
}
