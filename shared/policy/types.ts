/**
 * The normalised IAM policy model every part of the engine works on. Parsing turns the many legal
 * JSON spellings (single values or arrays, `"*"` or `{"AWS": "*"}` principals, booleans and numbers
 * in conditions) into one shape, so evaluation and analysis never re-check JSON types.
 */

export type Effect = 'Allow' | 'Deny';

/** Principal element: `*` becomes `{ '*': ['*'] }`; keys are `AWS`, `Service`, `Federated`, `CanonicalUser`. */
export type PrincipalBlock = Record<string, string[]>;

/** One `operator: { key: values }` entry of a Condition block, values as strings (JSON true -> "true"). */
export interface ConditionClause {
  /** The operator exactly as written, e.g. `ForAnyValue:StringLikeIfExists`. */
  operator: string;
  key: string;
  values: string[];
}

export interface Statement {
  /** Position in the policy's Statement array (0-based), for explanations. */
  index: number;
  sid?: string;
  effect: Effect;
  principal?: PrincipalBlock;
  notPrincipal?: PrincipalBlock;
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditions: ConditionClause[];
}

export interface Policy {
  /** `2012-10-17` or `2008-10-17`; absent means 2008-10-17 semantics (no policy variables). */
  version?: string;
  id?: string;
  statements: Statement[];
  /** Characters of the source document, excluding whitespace (how IAM counts size quotas). */
  size: number;
  /** UTF-8 bytes of the minified document (how S3 and KMS count their quotas). */
  bytes: number;
}

/** What a policy is attached to / used as: decides which elements are required and the size quota. */
export type PolicyKind =
  | 'identity'
  | 'managed'
  | 'aws-managed'
  | 'inline-user'
  | 'inline-role'
  | 'inline-group'
  | 'resource'
  | 's3-bucket'
  | 'kms-key'
  | 'trust'
  | 'scp'
  | 'rcp'
  | 'boundary'
  | 'session';

export type IssueLevel = 'error' | 'warning';

/** A validation finding in the spirit of IAM Access Analyzer's policy validation. */
export interface ValidationIssue {
  level: IssueLevel;
  /** Stable code, e.g. `missing-effect`, `unknown-action`, `policy-too-large`. */
  code: string;
  message: string;
  /** Statement index when the issue belongs to one statement. */
  statement?: number;
  sid?: string;
}

/** A policy with a name, as handed to the evaluator (raw documents are parsed on the way in). */
export interface NamedPolicy {
  name: string;
  policy: Policy | unknown;
}

/** Context values: strings, or arrays for multi-valued keys. Numbers/booleans are stringified. */
export type ContextValue = string | number | boolean | Array<string | number | boolean>;

export interface EvaluationRequest {
  /** Principal ARN (IAM user, role, assumed-role session, root, service name for service principals). Omit for anonymous. */
  principal?: string;
  action: string;
  resource: string;
  /** Account owning the resource when the ARN does not say (S3 buckets). Defaults to the ARN's account, else the principal's. */
  resourceAccount?: string;
  context?: Record<string, ContextValue>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export type PolicyRole = 'identity' | 'resource' | 'boundary' | 'session' | 'scp' | 'rcp';

/** A statement that took part in the decision. */
export interface DecidingStatement {
  role: PolicyRole;
  policy: string;
  /** SCP/RCP level (0 = root of the OU path). */
  level?: number;
  statement: number;
  sid?: string;
  effect: Effect;
}

export interface EvaluationResult {
  decision: Decision;
  /** The statements that decided it (the Deny statements for ExplicitDeny; the Allows that were needed for Allow). */
  deciding: DecidingStatement[];
  /** Human lines explaining the decision in order. */
  explanation: string[];
}

export type FindingId =
  | 'admin-access'
  | 'privilege-escalation'
  | 'public-access'
  | 'broad-federated-trust'
  | 'confused-deputy'
  | 'cross-account-access'
  | 'data-access-wildcard'
  | 'passrole-wildcard'
  | 'notaction-allow'
  | 'notresource-allow'
  | 'invalid-policy'
  | 'unknown-action';

/**
 * A request the analyzer found allowed: re-run it with `trailwatch policy evaluate` (the policy as
 * `--policy` for identity findings or `--resource-policy` for resource findings, `--caller-admin`
 * when `callerAdmin`) and the answer is Allow.
 */
export interface Witness {
  /** Omitted for an anonymous request. */
  principal?: string;
  action: string;
  resource: string;
  resourceAccount?: string;
  context: Record<string, string[]>;
  /** The caller is in another account whose own identity policies allow it everything. */
  callerAdmin?: boolean;
}

export type PolicySeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface PolicyFinding {
  id: FindingId;
  severity: PolicySeverity;
  /** One human sentence. */
  message: string;
  /** Statement indexes (and Sids) responsible. */
  statements: Array<{ index: number; sid?: string; policy?: string }>;
  /** For privilege-escalation: the named path; for cross-account: the accounts; etc. */
  detail?: Record<string, unknown>;
  /** The allowed requests the claim rests on (each evaluates to Allow); absent for structural findings. */
  witnesses?: Witness[];
  /** Parts the witness search could not decide ("could not be decided: …"); the finding errs toward reporting. */
  undecided?: string[];
}

/** Who is inside: same-organization and listed accounts are not "foreign", everyone else is. */
export interface ZoneOfTrust {
  organizationId?: string;
  trustedAccounts?: string[];
}

export interface AnalysisContext {
  kind?: PolicyKind;
  /** Account that owns the policy / resource / principal. */
  account?: string;
  /** ARN of the principal or resource the policy is attached to, when known. */
  attachedTo?: string;
  /** The previous version of the same policy: only what the new one NEWLY grants is reported. */
  previous?: unknown;
  /** Other policies the same principal holds (identity analysis of combinations). */
  otherPolicies?: unknown[];
  /** The permissions boundary of the principal, judged together with its policies. */
  permissionsBoundary?: unknown;
  /** Organization and accounts that are not foreign (from the tuning configuration). */
  zoneOfTrust?: ZoneOfTrust;
}

export interface Analysis {
  findings: PolicyFinding[];
  /** Worst severity among findings, `info` when there are none. */
  severity: PolicySeverity;
  /** Validation issues (the parse/validate result). */
  issues: ValidationIssue[];
  /** True when a previous version was compared and only new grants are reported. */
  comparedWithPrevious: boolean;
}
