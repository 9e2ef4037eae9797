/**
 * Further validation checks in the spirit of IAM Access Analyzer's policy checks (ERROR and
 * SECURITY_WARNING types that can be decided offline) and Parliament's categories: ARN fields,
 * condition values of the wrong type, private addresses in aws:SourceIp, policy-variable syntax,
 * principal formats, role-trust grammar, VPC ids, tag keys, set qualifiers and PassRole on `*`.
 * The coverage table is in docs/policy-engine.md ("Validation parity").
 */
import { parseArn } from './arn.ts';
import { parseOperator } from './conditions.ts';
import { cidrFirstAddress } from './candidates.ts';
import { cidrContains, parseCidr } from './ip.ts';
import type { ParsedCidr } from './ip.ts';
import { statementFacts } from './action-facts.ts';
import type { Policy, PolicyKind, PrincipalBlock, Statement, ValidationIssue } from './types.ts';
import { boundedMap, remember } from '../memo.ts';
import type { BoundedMap } from '../memo.ts';

/** A validation issue, tied to a statement when given. */
export function issue(level: ValidationIssue['level'], code: string, message: string, s?: Statement): ValidationIssue {
  const out: ValidationIssue = { level, code, message };
  if (s) {
    out.statement = s.index;
    if (s.sid !== undefined) out.sid = s.sid;
  }
  return out;
}

/** What a check says about one string on its own: an issue without its statement. */
export type IssueTemplate = Pick<ValidationIssue, 'level' | 'code' | 'message'>;
/** The bound of each memo of issue templates ({@link memoIssues}). */
export const TEMPLATE_CACHE_LIMIT = 20_000;

/**
 * The issues `check` reports for one string, memoised by the string (bounded): for checks whose
 * every issue depends on the string alone (Resource ARN fields and variables, ARN shapes), each
 * distinct Resource of the corpus is judged once per process. `pushIssues` ties them to a statement.
 */
export function memoIssues(cache: BoundedMap<string, readonly IssueTemplate[]>, value: string, check: (issues: ValidationIssue[]) => void): readonly IssueTemplate[] {
  let known = cache.get(value);
  if (!known) {
    const found: ValidationIssue[] = [];
    check(found);
    known = found.map(({ level, code, message }) => ({ level, code, message }));
    remember(cache, value, known);
  }
  return known;
}

/** The templates as issues of statement `s`, appended in order. */
export function pushIssues(templates: readonly IssueTemplate[], s: Statement, issues: ValidationIssue[]): void {
  for (const t of templates) issues.push(issue(t.level, t.code, t.message, s));
}

/** Resource checks that depend on the string alone, per Version (variables are checked under 2012-10-17 only). */
const resourceTemplates = [boundedMap<string, readonly IssueTemplate[]>(TEMPLATE_CACHE_LIMIT), boundedMap<string, readonly IssueTemplate[]>(TEMPLATE_CACHE_LIMIT)] as const;

const PARTITIONS = /^(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z]|aws-eusc|[*?]+)$/;
const REGION = /^([a-z]{2}(-[a-z]+)+-\d+|[a-z0-9*?-]*[*?][a-z0-9*?-]*|)$/;
const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10'].map((c) => parseCidr(c)).filter((c) => c !== undefined);
/** Global keys that carry several values in one request (they need ForAnyValue/ForAllValues). */
const MULTI_VALUED = new Set(['aws:tagkeys', 'aws:calledvia', 'aws:principalorgpaths', 'aws:sourceorgpaths', 'aws:resourceorgpaths', 'aws:principalservicenameslist']);
/** Global keys with one value per request (a set qualifier on them is a mistake). */
const SINGLE_VALUED = new Set([
  'aws:sourceip', 'aws:principalarn', 'aws:principalaccount', 'aws:principalorgid', 'aws:sourcevpc', 'aws:sourcevpce', 'aws:userid', 'aws:username',
  'aws:requestedregion', 'aws:securetransport', 'aws:sourceaccount', 'aws:sourcearn', 'aws:currenttime', 'aws:epochtime', 'aws:multifactorauthpresent',
  'aws:multifactorauthage', 'aws:resourceaccount', 'aws:resourceorgid', 'aws:principaltype', 'aws:viaawsservice', 'aws:sourceorgid',
]);

function checkArnFields(value: string, s: Statement | undefined, issues: ValidationIssue[]): void {
  if (value === '*' || !value.startsWith('arn:')) return;
  const arn = parseArn(value);
  if (!arn) return;
  if (!PARTITIONS.test(arn.partition) && !arn.partition.includes('${')) issues.push(issue('error', 'invalid-partition', `"${arn.partition}" in ${value} is not an AWS partition`, s));
  if (arn.service !== arn.service.toLowerCase()) issues.push(issue('error', 'invalid-arn-service-case', `the service "${arn.service}" in ${value} must be lower case`, s));
  if (!REGION.test(arn.region) && !arn.region.includes('${')) issues.push(issue('error', 'invalid-arn-region', `"${arn.region}" in ${value} is not a Region`, s));
  if (arn.account !== '' && !/^(\d{12}|aws|[\d*?]*[*?][\d*?]*)$/.test(arn.account) && !arn.account.includes('${')) {
    issues.push(issue('error', 'invalid-arn-account', `"${arn.account}" in ${value} is not a 12-digit account id`, s));
  }
}

function checkVariables(text: string, where: string, s: Statement | undefined, issues: ValidationIssue[], allowed: boolean): void {
  if (!text.includes('${')) return;
  if (!allowed) {
    issues.push(issue('error', 'variable-unsupported-in-element', `policy variables are not supported in ${where} ("${text}")`, s));
    return;
  }
  for (const m of text.matchAll(/\$\{([^}]*)(\}?)/g)) {
    const inner = m[1] ?? '';
    if (m[2] !== '}' || inner.includes('${')) issues.push(issue('error', 'missing-brace-in-variable', `policy variable in "${text}" has no closing brace`, s));
    else if (inner.trim() === '') issues.push(issue('error', 'empty-variable', `empty policy variable in "${text}"`, s));
    else if (/^\s|\s$/.test(inner.split(',')[0] as string)) issues.push(issue('error', 'unsupported-space-in-variable', `policy variable "\${${inner}}" has spaces around its key`, s));
  }
}

function checkPrincipal(s: Statement, kind: PolicyKind, issues: ValidationIssue[]): void {
  const principals = s.principal ?? s.notPrincipal;
  if (principals) checkPrincipalValues(s, principals, kind, issues);
  if (kind === 'trust') checkTrustGrammar(s, issues);
}

function checkPrincipalValues(s: Statement, principals: PrincipalBlock, kind: PolicyKind, issues: ValidationIssue[]): void {
  for (const [block, values] of Object.entries(principals)) {
    for (const v of values) {
      checkVariables(v, 'Principal', s, issues, false);
      if (block === 'AWS' && v !== '*') {
        if (/[*?]/.test(v)) issues.push(issue('error', 'unsupported-wildcard-in-principal', `wildcards are not supported in an AWS principal ("${v}"); use Principal "*" with an aws:PrincipalArn condition`, s));
        else if (!/^\d{12}$/.test(v) && !/^arn:[^:]+:(iam|sts)::(\d{12}|aws)?:/.test(v)) issues.push(issue('error', 'invalid-principal-format', `"${v}" is not an account id or an IAM/STS ARN`, s));
      }
      if (block === 'Service' && v !== '*' && !/^[a-z0-9.-]+\.(amazonaws\.com(\.cn)?|amazon\.com|aws\.internal)$/.test(v)) {
        issues.push(issue('error', 'invalid-service-principal-format', `"${v}" is not a service principal (service.amazonaws.com)`, s));
      }
      if (block === 'Federated' && kind === 'trust' && /[*?]/.test(v)) issues.push(issue('error', 'invalid-federated-principal-syntax', `a Federated principal cannot contain wildcards ("${v}")`, s));
    }
  }
}

function checkTrustGrammar(s: Statement, issues: ValidationIssue[]): void {
  if (s.notPrincipal) issues.push(issue('error', 'trust-policy-notprincipal', 'role trust policies do not support NotPrincipal', s));
  if (s.resource || s.notResource) issues.push(issue('error', 'trust-policy-resource', 'role trust policies do not support Resource or NotResource', s));
  const federated = s.principal?.['Federated'] ?? [];
  for (const a of s.action ?? []) {
    const saml = federated.some((f) => /:saml-provider\//.test(f));
    const oidc = federated.some((f) => !/:saml-provider\//.test(f));
    if ((/^sts:assumerolewithsaml$/i.test(a) && federated.length > 0 && !saml) || (/^sts:assumerolewithwebidentity$/i.test(a) && federated.length > 0 && !oidc)) {
      issues.push(issue('error', 'mismatched-action-for-principal', `${a} does not match the Federated principal type`, s));
    }
  }
}

function checkConditions(s: Statement, issues: ValidationIssue[]): void {
  if (s.conditions.length === 0) return;
  const seen = new Map<string, string>();
  for (const c of s.conditions) {
    const op = parseOperator(c.operator);
    const key = c.key.toLowerCase();
    const dup = `${c.operator.toLowerCase()}|${key}`;
    if (seen.has(dup) && seen.get(dup) !== c.key) issues.push(issue('error', 'duplicate-keys-with-different-case', `condition key ${c.key} appears twice under ${c.operator} with different case`, s));
    seen.set(dup, c.key);
    if (/^null/i.test(c.operator) && /ifexists$/i.test(c.operator)) issues.push(issue('error', 'null-with-if-exists', 'the Null operator cannot take IfExists', s));
    if (!/^[^:\s]+:\S/.test(c.key)) issues.push(issue('error', 'invalid-condition-key-format', `"${c.key}" is not a condition key (prefix:name)`, s));
    if (/^(aws|[a-z0-9-]+):(resourcetag|requesttag|principaltag)\/?$/i.test(c.key)) issues.push(issue('error', 'missing-tag-key-in-condition', `${c.key} needs a tag key (${c.key.replace(/\/$/, '')}/key)`, s));
    if (!op) continue;
    for (const v of c.values) {
      if (v.includes('${')) continue;
      const bad =
        (op.base.startsWith('numeric') && !/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) ||
        (op.base.startsWith('date') && !/^-?\d+$/.test(v.trim()) && Number.isNaN(Date.parse(v))) ||
        (op.base === 'bool' && !/^(true|false)$/i.test(v)) ||
        (op.base === 'null' && !/^(true|false)$/i.test(v)) ||
        ((op.base === 'ipaddress' || op.base === 'notipaddress') && parseCidr(v) === undefined);
      if (bad) issues.push(issue('error', 'invalid-condition-value', `"${v}" is not a valid value for ${c.operator}`, s));
    }
    if (s.effect === 'Deny' && op.base === 'bool' && !op.ifExists && key === 'aws:multifactorauthpresent' && c.values.some((v) => v.toLowerCase() === 'false')) {
      issues.push(issue('warning', 'bad-mfa-pattern', 'Deny with Bool aws:MultiFactorAuthPresent false never applies to long-term keys (the key is absent): use BoolIfExists', s));
    }
    if (op.base === 'bool' && new Set(c.values.map((v) => v.toLowerCase())).size > 1) issues.push(issue('error', 'invalid-condition-multiple-boolean', `${c.key} is given both true and false`, s));
    if (key === 'aws:sourceip' && (op.base === 'ipaddress' || op.base === 'notipaddress')) {
      const cidrs = c.values.map(parseCidr).filter((x) => x !== undefined);
      const isPrivate = (x: ParsedCidr): boolean => x.family === 4 && PRIVATE_V4.some((p) => p.prefix <= x.prefix && cidrContains(p, cidrFirstAddress(x)));
      const privateOnly = cidrs.length > 0 && cidrs.every(isPrivate);
      if (privateOnly) issues.push(issue('error', op.base === 'ipaddress' ? 'private-ip-address' : 'private-not-ip-address', 'aws:SourceIp only sees public addresses; these private ranges never match (use aws:VpcSourceIp)', s));
    }
    if (key === 'aws:sourcevpc' && c.values.some((v) => !/^(vpc-[0-9a-f]+|[a-z0-9-]*[*?][a-z0-9*?-]*)$/.test(v))) issues.push(issue('error', 'invalid-vpc-format', `aws:SourceVpc values look like vpc-0123abcd`, s));
    if (key === 'aws:sourcevpce' && c.values.some((v) => !/^(vpce-[0-9a-f]+|[a-z0-9-]*[*?][a-z0-9*?-]*)$/.test(v))) issues.push(issue('error', 'invalid-vpce-format', `aws:SourceVpce values look like vpce-0123abcd`, s));
    if (MULTI_VALUED.has(key) && !op.set && op.base !== 'null') issues.push(issue('error', 'missing-qualifier', `${c.key} has several values per request: use ForAnyValue or ForAllValues`, s));
    if (SINGLE_VALUED.has(key) && op.set) issues.push(issue('warning', 'forallvalues-with-single-valued-key', `${c.operator} on the single-valued key ${c.key} does not do what it seems (ForAllValues is true when it is absent)`, s));
  }
}

/**
 * `actionMatches(s, 'iam:PassRole')` (statement-match.ts) from each Action/NotAction string's facts:
 * some Action pattern matches it, or no NotAction pattern does.
 */
function coversPassRole(s: Statement): boolean {
  if (!s.action && !s.notAction) return false;
  let some = false;
  for (const f of statementFacts(s)) if (f.passRole) some = true;
  return s.action ? some : !some;
}

/** PassRole allowed on every role (Resource `*` or NotResource): Access Analyzer's "Pass role with star…" family. */
function checkPassRole(s: Statement, issues: ValidationIssue[]): void {
  if (s.effect !== 'Allow' || !coversPassRole(s)) return;
  if ((s.resource ?? []).includes('*')) issues.push(issue('warning', 'passrole-with-star-in-resource', 'iam:PassRole on Resource "*" lets any role be passed to any service', s));
  else if (s.notResource) issues.push(issue('warning', 'passrole-with-notresource', 'iam:PassRole with NotResource allows passing every role not listed', s));
}

const NO_STRINGS: readonly string[] = Object.freeze([]);

/** The string-only Resource checks (ARN fields, variables) of each of the statement's Resource or NotResource strings, in order. */
function checkResourceStrings(s: Statement, list: readonly string[], substitute: boolean, issues: ValidationIssue[]): void {
  const cache = resourceTemplates[substitute ? 1 : 0];
  for (const r of list) {
    // The check's closure is made on a miss only.
    const templates =
      cache.get(r) ??
      memoIssues(cache, r, (found) => {
        checkArnFields(r, undefined, found);
        if (substitute) checkVariables(r, 'Resource', undefined, found, true);
      });
    pushIssues(templates, s, issues);
  }
}

/**
 * checkVariables on each Action/NotAction string that has `${` (it reports nothing for the others).
 * By index: in code V8 has not optimised yet (the warm pass still runs some), a for-of allocates an
 * iterator result per string, and the corpus has ~59,000 Action strings per pass.
 */
function checkActionVariables(s: Statement, list: readonly string[], issues: ValidationIssue[]): void {
  for (let i = 0; i < list.length; i++) {
    const a = list[i] as string;
    if (a.includes('${')) checkVariables(a, 'Action', s, issues, false);
  }
}

/** The extra checks for one parsed policy of the given kind. */
export function extraChecks(policy: Policy, kind: PolicyKind): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const substitute = policy.version === '2012-10-17';
  const iamGrammar = !['resource', 's3-bucket', 'kms-key'].includes(kind);
  for (const s of policy.statements) {
    if (iamGrammar && s.sid !== undefined && !/^[A-Za-z0-9]*$/.test(s.sid)) {
      issues.push(issue('error', 'unsupported-sid', `IAM Sids may contain only letters and digits ("${s.sid}")`, s));
    }
    // Resource, then NotResource.
    if (s.resource) checkResourceStrings(s, s.resource, substitute, issues);
    if (s.notResource) checkResourceStrings(s, s.notResource, substitute, issues);
    // checkVariables reports nothing for a text without `${`: only those are looked at (the corpus has ~59,000 actions).
    checkActionVariables(s, s.action ?? NO_STRINGS, issues);
    checkActionVariables(s, s.notAction ?? NO_STRINGS, issues);
    checkPrincipal(s, kind, issues);
    checkConditions(s, issues);
    if (substitute) for (const c of s.conditions) for (const v of c.values) if (v.includes('${')) checkVariables(v, `condition ${c.key}`, s, issues, true);
    checkPassRole(s, issues);
  }
  return issues;
}
