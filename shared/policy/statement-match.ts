import { matchArnItems } from './arn.ts';
import { evaluateConditions } from './conditions.ts';
import { matchPrincipal } from './principal.ts';
import type { PrincipalInfo, PrincipalMatch } from './principal.ts';
import type { Policy, PrincipalBlock, Statement } from './types.ts';
import { compileWithVariables } from './variables.ts';
import type { ContextLookup } from './variables.ts';
import { matchAction } from './wildcard.ts';

/**
 * How conditions are treated: `evaluate` (exactly); `optimistic` for "could this ever be allowed"
 * questions (Allow conditions hold, conditional Denies do not apply); `pinning` for "is this open to
 * strangers": in Allow statements only the conditions that pin access to an account, organization,
 * network or source are evaluated (the rest are assumed to hold), Denies are evaluated exactly.
 */
export type ConditionMode = 'evaluate' | 'optimistic' | 'pinning';

/** Condition keys that restrict who or where a request can come from (account, org, network, source, federated audience/subject). */
export function isPinningKey(key: string): boolean {
  const k = key.toLowerCase();
  return PINNING_KEYS.has(k) || /:(aud|sub|oaud|amr)$/.test(k);
}

/**
 * A pin value that lets everybody through anyway: `*`, `repo:*` (any GitHub repository), or an ARN
 * whose account and resource are wildcards (`arn:aws:sns:*:*:*`).
 */
export function isBroadValue(value: string): boolean {
  if (/^[*?]*$/.test(value)) return true;
  if (/^[a-z0-9-]+:[*?]+$/i.test(value)) return true;
  const parts = value.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && /^[*?]*$/.test(parts[4] as string) && /^[*?]+$/.test(parts.slice(5).join(':'));
}

const PINNING_KEYS = new Set([
  'aws:sourceaccount',
  'aws:sourcearn',
  'aws:sourceowner',
  'aws:sourceorgid',
  'aws:sourceorgpaths',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:principalorgid',
  'aws:principalorgpaths',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourcevpcarn',
  'aws:sourceip',
  'aws:userid',
  'aws:username',
  'aws:resourceorgid',
  'kms:calleraccount',
  's3:dataaccesspointaccount',
]);

export interface MatchRequest {
  action: string;
  resource: string;
  who: PrincipalInfo;
  lookup: ContextLookup;
  conditionMode: ConditionMode;
  /** Resource-based policies check Principal/NotPrincipal; identity-side policies do not have one. */
  checkPrincipal: boolean;
  /** The principal has a permissions boundary (a resource-policy `NotPrincipal` Deny then always applies). */
  hasBoundary?: boolean;
}

/**
 * True when a NotPrincipal element exempts the principal. AWS evaluates an account first, then the
 * role, then the session: an account ARN exempts only the account itself (its root), not the
 * account's users, roles or sessions; an IAM principal with a permissions boundary is never
 * exempted from a NotPrincipal Deny (reference_policies_elements_notprincipal.html, key points).
 */
export function exemptedByNotPrincipal(statement: Statement, block: PrincipalBlock, req: Pick<MatchRequest, 'who' | 'hasBoundary'>): boolean {
  const iam = req.who.type === 'user' || req.who.type === 'role' || req.who.type === 'assumed-role' || req.who.type === 'federated-user';
  if (statement.effect === 'Deny' && req.hasBoundary && iam) return false;
  const how = matchPrincipal(block, req.who);
  if (how === 'none') return false;
  // Allow with NotPrincipal is unsupported by AWS; it keeps the plain reading (any match exempts).
  if (how === 'account') return statement.effect !== 'Deny' || req.who.type === 'root';
  return true;
}

/** True when the policy's Version turns policy variables on. */
export function substitutesVariables(policy: Policy): boolean {
  return policy.version === '2012-10-17';
}

/** True when the statement's Action/NotAction covers the action (case-insensitive). */
export function actionMatches(statement: Statement, action: string): boolean {
  if (statement.action) return statement.action.some((p) => matchAction(p, action));
  if (statement.notAction) return !statement.notAction.some((p) => matchAction(p, action));
  return false;
}

function resourcePatternMatches(pattern: string, resource: string, lookup: ContextLookup, substitute: boolean): boolean {
  if (pattern === '*') return true;
  const items = compileWithVariables(pattern, lookup, substitute);
  return items !== undefined && matchArnItems(items, resource);
}

/** True when Resource/NotResource covers the resource (case-sensitive, ARN field by field, variables substituted). */
export function resourceMatches(statement: Statement, resource: string, lookup: ContextLookup, substitute: boolean): boolean {
  if (statement.resource) return statement.resource.some((p) => resourcePatternMatches(p, resource, lookup, substitute));
  if (statement.notResource) return !statement.notResource.some((p) => resourcePatternMatches(p, resource, lookup, substitute));
  // No Resource element: only legal in trust policies, where the role itself is the resource.
  return true;
}

/**
 * Decides whether one statement applies to the request. Returns how the principal matched
 * (`direct`, `direct-role`, `account`) or `none` when the statement does not apply.
 */
export function statementApplies(statement: Statement, policy: Policy, req: MatchRequest): PrincipalMatch {
  if (!actionMatches(statement, req.action)) return 'none';
  const substitute = substitutesVariables(policy);
  if (!resourceMatches(statement, req.resource, req.lookup, substitute)) return 'none';
  let how: PrincipalMatch = 'direct';
  if (req.checkPrincipal) {
    if (statement.principal) {
      how = matchPrincipal(statement.principal, req.who);
      if (how === 'none') return 'none';
    } else if (statement.notPrincipal) {
      if (exemptedByNotPrincipal(statement, statement.notPrincipal, req)) return 'none';
      how = 'direct';
    } else return 'none';
  }
  if (statement.conditions.length > 0) {
    if (req.conditionMode === 'optimistic') return statement.effect === 'Allow' ? how : 'none';
    if (req.conditionMode === 'pinning' && statement.effect === 'Allow') {
      const pinning = statement.conditions.filter((c) => isPinningKey(c.key) && !c.values.every(isBroadValue));
      return evaluateConditions(pinning, req.lookup, substitute) ? how : 'none';
    }
    if (!evaluateConditions(statement.conditions, req.lookup, substitute)) return 'none';
  }
  return how;
}
