/**
 * The one typed shape every Trailwatch component sees, whatever the input was: an EventBridge
 * envelope ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", "AWS Service Event
 * via CloudTrail") or a bare CloudTrail record from a log file in S3.
 */

/** A CloudTrail record as delivered (JSON object); fields we read are typed, the rest stays opaque. */
export interface CloudTrailRecord {
  eventVersion?: string;
  eventID?: string;
  eventTime?: string;
  eventName?: string;
  eventSource?: string;
  eventType?: string;
  eventCategory?: string;
  awsRegion?: string;
  recipientAccountId?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  readOnly?: boolean;
  managementEvent?: boolean;
  errorCode?: string;
  errorMessage?: string;
  userIdentity?: Record<string, unknown>;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown> | null;
  resources?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/**
 * Who made the call, flattened from `userIdentity` (and its `sessionContext`). `principalFrom` sets
 * every field, an optional one to undefined when absent (as for `TrailEvent`); `sessionIssuer`'s
 * own fields are set only when present.
 */
export interface Principal {
  /** `Root`, `IAMUser`, `AssumedRole`, `FederatedUser`, `AWSService`, `AWSAccount`, `IdentityCenterUser`, `Unknown`… */
  type: string;
  arn?: string;
  principalId?: string;
  accountId?: string;
  /** IAM user name, role session name, or the root account id — the best human label we have. */
  name: string;
  userName?: string;
  accessKeyId?: string;
  /** For assumed roles / federated sessions: the role (or user) that issued the session. */
  sessionIssuer?: { type?: string; arn?: string; userName?: string; accountId?: string };
  /** `userIdentity.invokedBy`: an AWS service acting on the principal's behalf. */
  invokedBy?: string;
  /** `sessionContext.attributes.mfaAuthenticated` ("true"/"false"). */
  mfaAuthenticated?: boolean;
  /** `sessionCredentialFromConsole` (string "true" or boolean true in real records). */
  sessionCredentialFromConsole?: boolean;
  /** SAML/OIDC provider for federated sessions, from `sessionContext.webIdFederationData` or the ARN. */
  identityProvider?: string;
}

/**
 * A normalised event. `normalizeRecord` (CloudTrail records) sets every field, an optional one to
 * undefined when the record lacks it (one object shape for every event); external findings and
 * events decoded from a worker thread (`event-codec.ts`) omit such fields instead. Either way:
 * test a field's value, not `in` or `Object.keys`.
 */
export interface TrailEvent {
  /** CloudTrail `eventID`: the idempotency key. */
  id: string;
  /**
   * `idHash(id)` (shared/model/id-hash.ts), computed once by `normalizeRecord` for the eventID
   * windows (replay's duplicate window, the rate detector's redelivery window). Absent on events
   * made elsewhere; whoever changes `id` must drop it.
   */
  idHash?: number;
  /** ISO-8601 event time (CloudTrail `eventTime`). */
  time: string;
  /** `eventTime` as epoch milliseconds. */
  timeMs: number;
  name: string;
  source: string;
  region: string;
  /** Account the event belongs to (`recipientAccountId`, else `userIdentity.accountId`, else envelope). */
  account: string;
  /** `AwsApiCall`, `AwsConsoleSignIn`, `AwsServiceEvent`, `AwsCloudTrailInsight`… */
  eventType: string;
  readOnly?: boolean;
  principal: Principal;
  sourceIp?: string;
  userAgent?: string;
  /**
   * MFA as CloudTrail reports it: for ConsoleLogin `additionalEventData.MFAUsed` (case-insensitive
   * "yes"), otherwise the session's `mfaAuthenticated` attribute. Undefined when not reported.
   */
  mfaUsed?: boolean;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  additionalEventData: Record<string, unknown> | null;
  /** The record exactly as received (for details, the console link, and re-analysis). */
  raw: CloudTrailRecord;
  /** Present when the input was an EventBridge envelope. */
  envelope?: { id?: string; detailType: string; source?: string; time?: string };
}

/** Why an input could not become a TrailEvent. Never thrown: returned and counted. */
export interface Skip {
  reason: string;
  /** Where it came from (file:line, SQS message id…), for the log. */
  origin?: string;
  /** eventID when we could read one. */
  eventId?: string;
}

export type NormalizeResult = { ok: true; event: TrailEvent } | { ok: false; skip: Skip };

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** What a detection emits. Serialisable: it travels through SNS, EventBridge and JSON Lines. */
export interface Finding {
  /** Detection id, e.g. `root-signin`. */
  detection: string;
  severity: Severity;
  /** One human sentence: what happened. */
  title: string;
  eventId: string;
  eventName: string;
  eventSource: string;
  time: string;
  account: string;
  region: string;
  principal: {
    type: string;
    arn?: string;
    name: string;
    accessKeyId?: string;
    sessionIssuerArn?: string;
    mfa?: boolean;
  };
  sourceIp?: string;
  userAgent?: string;
  /** Detection-specific facts (the policy document, MFA used, the analysis…). */
  details: Record<string, unknown>;
  /** What to do now (from the detection's metadata). */
  runbook?: string;
  references?: DetectionReferences;
  /**
   * Set by a detection when this finding's content is dangerous in itself, whoever did it (admin or
   * escalation granted, public access, SSH/RDP open to the world, logging stopped, MFA removed from a
   * real user, root): a one-line reason. The noise model never demotes such a finding as routine.
   */
  inherentRisk?: string;
  /** Where the routing step sent this finding (set after detection, before the sinks). */
  route?: Route;
  /** One line: why it got that route (severity, novelty, configuration rule…). */
  routeReason?: string;
  /**
   * Set when a configured suppression matched (its id, reason, owner and expiry): the finding is
   * routed `record` — still counted and on the findings bus, never dropped.
   */
  suppressed?: { id: string; reason: string; owner: string; expires: string };
}

/**
 * How a finding reaches people: paged now, batched into a digest, listed in the once-a-day summary,
 * or only recorded (findings bus, metrics, JSON output).
 */
export const ROUTES = ['page', 'digest', 'summary', 'record'] as const;
export type Route = (typeof ROUTES)[number];

export interface DetectionReferences {
  /** CIS AWS Foundations Benchmark controls, e.g. `CIS 4.3 (v1.4)` / `CIS 3.3 (v1.2)`. */
  cis?: string[];
  /** AWS Security Hub control ids, e.g. `CloudWatch.1`. */
  securityHub?: string[];
  /** MITRE ATT&CK technique ids, e.g. `T1078.004`. */
  mitre?: string[];
  /**
   * Stratus Red Team techniques (e.g. `aws.persistence.iam-create-admin-user`) whose detonation this
   * detection catches; test/external/stratus.test.ts checks the list against the detonation logs.
   */
  stratus?: string[];
  urls?: string[];
}
