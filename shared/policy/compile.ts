/**
 * Policies compiled once for the evaluator's hot path. A compiled statement holds its actions as a
 * set of lower-cased literals plus wildcard code arrays bucketed by service prefix, its Resource
 * patterns as pre-split ARN matchers, and its conditions with operators resolved and policy values
 * pre-parsed (see conditions.ts `compileClause`). Matching a request then allocates nothing per
 * statement. Answers are those of `statementApplies` (statement-match.ts), which stays the
 * reference for one-off questions.
 *
 * Cache and mutation (the decision): compiled policies are cached by the identity of the document
 * object the caller passed (raw JSON object or normalised policy; WeakMap, so they go when the
 * document goes), and JSON text by its string (bounded map). The first compilation deep-freezes the
 * document and the normalised policy: a policy is a value to the engine, so a later attempt to
 * change it throws a TypeError (ESM code is strict) instead of being answered from a stale
 * compilation. To change a policy, build a new object; it is compiled afresh. Two different objects
 * with equal text are compiled separately (identity is the key), equal texts share one compilation
 * (text cannot change).
 */
import { arnMatcherOf, matchArn, matchArnItems } from './arn.ts';
import type { ArnMatcher, SplitArn } from './arn.ts';
import { compileClause, evaluateCompiledClause } from './conditions.ts';
import type { CompiledClause } from './conditions.ts';
import { isNormalizedPolicy, parsePolicy } from './parse.ts';
import { matchPrincipal } from './principal.ts';
import type { PrincipalInfo, PrincipalMatch } from './principal.ts';
import { exemptedByNotPrincipal, isBroadValue, isPinningKey, substitutesVariables } from './statement-match.ts';
import type { ConditionMode } from './statement-match.ts';
import type { Effect, Policy, Statement } from './types.ts';
import { compileWithVariables } from './variables.ts';
import type { ContextLookup } from './variables.ts';
import { compileCodes, hasWildcard, matchCodes } from './wildcard.ts';
import { boundedMap, remember } from '../memo.ts';

/** Action / NotAction patterns: `*`, lower-cased literals, wildcard patterns by literal service prefix, the rest. */
export interface ActionSet {
  any: boolean;
  literals: Set<string>;
  /** The service prefix (text before the first colon, '' when none) of each literal. */
  literalServices: Set<string>;
  byService: Map<string, Int32Array[]>;
  general: Int32Array[];
}

/**
 * A Resource pattern: compiled on first use (most statements of an analysed policy are never matched
 * against a resource), or (policy variables) substituted per request.
 */
interface ResourceMatcher {
  pattern: string;
  dynamic: boolean;
  compiled?: ArnMatcher;
}

function staticMatcher(m: ResourceMatcher): ArnMatcher {
  return (m.compiled ??= arnMatcherOf(m.pattern));
}

export interface CompiledStatement {
  statement: Statement;
  index: number;
  sid?: string;
  effect: Effect;
  actions?: ActionSet;
  notActions?: ActionSet;
  resources?: ResourceMatcher[];
  notResources?: ResourceMatcher[];
  conditions: CompiledClause[];
  /** For `pinning` mode: the Allow conditions that pin access (see statement-match.ts); filled on first use from `conditions`. */
  pinning?: CompiledClause[];
}

export interface CompiledPolicy {
  policy: Policy;
  substitute: boolean;
  statements: CompiledStatement[];
  /** Per service prefix, the statements whose Action/NotAction can match an action of it (in order; filled lazily). */
  byService: Map<string, CompiledStatement[]>;
  /** Allow statements: can one match an action of any service (`*`, NotAction, wildcard service)? Else the services they name. */
  allowAnyService: boolean;
  allowServices: Set<string>;
  /** statementsCovering answers by effect and lower-cased action, and the Allow statements covering an action (filled lazily, bounded). */
  covering: Map<string, readonly Statement[]>;
  allowing: Map<string, readonly CompiledStatement[]>;
}

/** One request, prepared once for matching against every statement. */
export interface CompiledRequest {
  action: string;
  /** Lower-cased action and its service prefix (text before the first colon). */
  lowerAction: string;
  service: string;
  resource: SplitArn;
  who: PrincipalInfo;
  /** Context values by lower-cased key. */
  value(lowerKey: string): string[] | undefined;
  lookup: ContextLookup;
  conditionMode: ConditionMode;
  hasBoundary?: boolean;
}

/** What action matching needs of a request. */
export type ActionRequest = Pick<CompiledRequest, 'lowerAction' | 'service'>;

/** An action prepared for {@link compiledActionMatches}. */
export function actionRequest(action: string): ActionRequest {
  const lowerAction = action.toLowerCase();
  return { lowerAction, service: serviceOf(lowerAction) };
}

/**
 * The statements of a policy whose Action/NotAction covers the action (optionally only one
 * effect), in order, without evaluating Resource, Principal or conditions. The analyzer's
 * "does anything here allow X" questions, answered from the compiled policy.
 */
export function statementsCovering(policy: Policy, action: ActionRequest, effect?: Effect): readonly Statement[] {
  const cp = compiledPolicy(policy);
  const key = `${effect ?? ''}\u0000${action.lowerAction}`;
  let known = cp.covering.get(key);
  if (!known) {
    known = coveringStatements(cp, action, effect).map((cs) => cs.statement);
    if (cp.covering.size < ACTIONS_PER_POLICY) cp.covering.set(key, known);
  }
  return known;
}

function coveringStatements(cp: CompiledPolicy, action: ActionRequest, effect?: Effect): CompiledStatement[] {
  const out: CompiledStatement[] = [];
  for (const cs of statementsFor(cp, action.service)) {
    if ((effect === undefined || cs.effect === effect) && compiledActionMatches(cs, action)) out.push(cs);
  }
  return out;
}

/** The compiled Allow statements whose Action/NotAction covers the action, in order (memoised per policy and action). */
function allowsCovering(cp: CompiledPolicy, action: ActionRequest): readonly CompiledStatement[] {
  let known = cp.allowing.get(action.lowerAction);
  if (!known) {
    known = coveringStatements(cp, action, 'Allow');
    if (cp.allowing.size < ACTIONS_PER_POLICY) cp.allowing.set(action.lowerAction, known);
  }
  return known;
}

/** True when some statement of the policy with this effect covers the action. */
export function coversAction(policy: Policy, action: ActionRequest, effect?: Effect): boolean {
  const cp = compiledPolicy(policy);
  if (effect === 'Allow' && !cp.allowAnyService && !cp.allowServices.has(action.service)) return false;
  for (const cs of statementsFor(cp, action.service)) {
    if ((effect === undefined || cs.effect === effect) && compiledActionMatches(cs, action)) return true;
  }
  return false;
}

const ASCII = /^[\x20-\x7e]*$/;

/** The service prefix of a lower-cased action: the text before its first colon ('' when none or leading). */
export function serviceOf(lowerAction: string): string {
  const colon = lowerAction.indexOf(':');
  return colon > 0 ? lowerAction.slice(0, colon) : '';
}

function compileActions(patterns: readonly string[]): ActionSet {
  const set: ActionSet = { any: false, literals: new Set(), literalServices: new Set(), byService: new Map(), general: [] };
  for (const p of patterns) {
    if (p === '*') {
      set.any = true;
      continue;
    }
    if (!hasWildcard(p)) {
      const lower = p.toLowerCase();
      set.literals.add(lower);
      set.literalServices.add(serviceOf(lower));
      continue;
    }
    const codes = compileCodes(p, true);
    const colon = p.indexOf(':');
    const service = colon > 0 ? p.slice(0, colon) : '';
    if (service !== '' && !hasWildcard(service) && ASCII.test(service)) {
      const key = service.toLowerCase();
      const bucket = set.byService.get(key);
      if (bucket) bucket.push(codes);
      else set.byService.set(key, [codes]);
    } else set.general.push(codes);
  }
  return set;
}

/**
 * One Action/NotAction pattern compiled alone, as {@link compiledActionMatches} compiles it inside a
 * statement: a statement's set matches an action exactly when one of its patterns' sets does, so an
 * index keyed by pattern text (action-index.ts) gives the compiled statements' answers.
 */
export function compileActionPattern(pattern: string): ActionSet {
  return compileActions([pattern]);
}

/** Does the compiled set match the action? (The matcher {@link compiledActionMatches} uses.) */
export function matchActionSet(set: ActionSet, req: ActionRequest): boolean {
  if (set.any || set.literals.has(req.lowerAction)) return true;
  const bucket = set.byService.get(req.service);
  if (bucket) for (const codes of bucket) if (matchCodes(codes, req.lowerAction)) return true;
  for (const codes of set.general) if (matchCodes(codes, req.lowerAction)) return true;
  return false;
}

function compileResource(pattern: string, substitute: boolean): ResourceMatcher {
  return { pattern, dynamic: substitute && pattern.includes('${') };
}

/** One Resource / NotResource pattern against the resource; one with policy variables is substituted from `lookup` first. */
function matcherMatches(m: ResourceMatcher, resource: SplitArn, lookup: ContextLookup): boolean {
  if (!m.dynamic) return matchArn(staticMatcher(m), resource);
  const items = compileWithVariables(m.pattern, lookup, true);
  return items !== undefined && matchArnItems(items, resource.value);
}

function anyMatcher(list: readonly ResourceMatcher[], resource: SplitArn, lookup: ContextLookup): boolean {
  for (const m of list) if (matcherMatches(m, resource, lookup)) return true;
  return false;
}

/** Some Resource / NotResource pattern of the statement has policy variables (its match depends on the request). */
export function hasDynamicResource(cs: CompiledStatement): boolean {
  const list = cs.resources ?? cs.notResources;
  if (list) for (const m of list) if (m.dynamic) return true;
  return false;
}

/**
 * The statement's Resource / NotResource test for a request on `resource` whose context lookup is
 * `lookup` (the evaluator's: the request context plus the principal's own keys). The evaluator's
 * {@link compiledStatementApplies} and the witness search's gate (which has no compiled request)
 * both ask it: the same patterns, matched the same way.
 */
export function resourceApplies(cs: CompiledStatement, resource: SplitArn, lookup: ContextLookup): boolean {
  if (cs.resources) return anyMatcher(cs.resources, resource, lookup);
  if (cs.notResources) return !anyMatcher(cs.notResources, resource, lookup);
  return true;
}

/**
 * Could the statement's Resource / NotResource admit this resource for SOME request context?
 * False only when the static patterns decide it does not (a Resource pattern with policy variables
 * depends on the request, so it counts as "maybe").
 */
function mayAdmitResource(cs: CompiledStatement, resource: SplitArn): boolean {
  if (cs.resources) {
    for (const m of cs.resources) if (m.dynamic || matchArn(staticMatcher(m), resource)) return true;
    return false;
  }
  if (cs.notResources) {
    for (const m of cs.notResources) if (!m.dynamic && matchArn(staticMatcher(m), resource)) return false;
  }
  return true;
}

/**
 * A necessary condition for an identity policy to allow a request: some Allow statement covers the
 * action and its Resource patterns can admit the resource. False means no principal and no request
 * context can make this policy allow the pair (the witness search uses it to skip evaluations that
 * cannot succeed); true means "maybe" (conditions, principal and policy variables are not decided
 * here, except that `ruledOut` may name statements the caller knows can never apply).
 */
export function identityMayAllow(document: unknown, action: ActionRequest, resource: SplitArn, ruledOut?: (cs: CompiledStatement) => boolean): boolean {
  const cp = compiledPolicy(document);
  if (!cp.allowAnyService && !cp.allowServices.has(action.service)) return false;
  for (const cs of allowsCovering(cp, action)) {
    if (mayAdmitResource(cs, resource) && !(ruledOut?.(cs) ?? false)) return true;
  }
  return false;
}

/**
 * {@link identityMayAllow} for SOME resource: can an Allow statement that covers the action apply at
 * all (not one `ruledOut` names)? False means identityMayAllow is false for every resource, so the
 * witness search can treat every position of the action as gated out without asking each one.
 */
export function identityMayAllowAny(document: unknown, action: ActionRequest, ruledOut?: (cs: CompiledStatement) => boolean): boolean {
  const cp = compiledPolicy(document);
  if (!cp.allowAnyService && !cp.allowServices.has(action.service)) return false;
  for (const cs of allowsCovering(cp, action)) if (!(ruledOut?.(cs) ?? false)) return true;
  return false;
}

/**
 * The Allow statements of an identity policy that cover the action and whose static Resource can
 * admit the resource (not those `ruledOut` names), in order: the only ones that can make this policy
 * allow the pair. `identityMayAllow` is "this list is not empty".
 */
export function admittingStatements(document: unknown, action: ActionRequest, resource: SplitArn, ruledOut?: (cs: CompiledStatement) => boolean): CompiledStatement[] {
  const cp = compiledPolicy(document);
  if (!cp.allowAnyService && !cp.allowServices.has(action.service)) return [];
  return allowsCovering(cp, action).filter((cs) => mayAdmitResource(cs, resource) && !(ruledOut?.(cs) ?? false));
}

function compileStatement(s: Statement, substitute: boolean): CompiledStatement {
  const out: CompiledStatement = {
    statement: s,
    index: s.index,
    effect: s.effect,
    conditions: s.conditions.map((c) => compileClause(c, substitute)),
  };
  if (s.sid !== undefined) out.sid = s.sid;
  if (s.action) out.actions = compileActions(s.action);
  else if (s.notAction) out.notActions = compileActions(s.notAction);
  if (s.resource) out.resources = s.resource.map((p) => compileResource(p, substitute));
  else if (s.notResource) out.notResources = s.notResource.map((p) => compileResource(p, substitute));
  return out;
}

/** Compiles a normalised policy (no cache: see {@link compiledPolicy}). */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const substitute = substitutesVariables(policy);
  const statements = policy.statements.map((s) => compileStatement(s, substitute));
  let allowAnyService = false;
  const allowServices = new Set<string>();
  for (const cs of statements) {
    if (cs.effect !== 'Allow') continue;
    const a = cs.actions;
    if (!a) {
      if (cs.notActions) allowAnyService = true;
      continue;
    }
    if (a.any || a.general.length > 0) allowAnyService = true;
    for (const k of a.byService.keys()) allowServices.add(k);
    for (const k of a.literalServices) allowServices.add(k);
  }
  return { policy, substitute, statements, byService: new Map(), allowAnyService, allowServices, covering: new Map(), allowing: new Map() };
}

/** Can any action of this service prefix match the statement's Action/NotAction? (A superset test.) */
function mayMatchService(cs: CompiledStatement, service: string): boolean {
  if (cs.notActions) return true;
  const a = cs.actions;
  if (!a) return false;
  return a.any || a.general.length > 0 || a.byService.has(service) || a.literalServices.has(service);
}

const SERVICES_PER_POLICY = 512;

/** Actions remembered per compiled policy (the analyzer asks ~100; an evaluator client may ask many more). */
const ACTIONS_PER_POLICY = 1024;

/** The statements that can apply to an action of `service`, in statement order (cached per policy, bounded). */
export function statementsFor(cp: CompiledPolicy, service: string): readonly CompiledStatement[] {
  let list = cp.byService.get(service);
  if (!list) {
    list = cp.statements.filter((cs) => mayMatchService(cs, service));
    if (cp.byService.size < SERVICES_PER_POLICY) cp.byService.set(service, list);
  }
  return list;
}

/**
 * The statement's pinning clauses, the compiled conditions themselves (a compiled clause keeps no
 * state, so one object serves both lists): only the resource-policy stranger questions ask.
 */
function pinningOf(cs: CompiledStatement): CompiledClause[] {
  return (cs.pinning ??= cs.conditions.filter((c) => isPinningKey(c.clause.key) && !c.clause.values.every(isBroadValue)));
}

function conditionsHold(list: readonly CompiledClause[], req: CompiledRequest): boolean {
  for (const c of list) if (!evaluateCompiledClause(c, req.value(c.key), req.lookup)) return false;
  return true;
}

/** True when the compiled statement's Action/NotAction covers the request's action. */
export function compiledActionMatches(cs: CompiledStatement, req: ActionRequest): boolean {
  if (cs.actions) return matchActionSet(cs.actions, req);
  if (cs.notActions) return !matchActionSet(cs.notActions, req);
  return false;
}

/**
 * `statementApplies` for a compiled statement: how the principal matched, or `none`. Resource-based
 * policies pass `checkPrincipal`.
 */
export function compiledStatementApplies(cs: CompiledStatement, req: CompiledRequest, checkPrincipal: boolean): PrincipalMatch {
  if (!compiledActionMatches(cs, req)) return 'none';
  if (!resourceApplies(cs, req.resource, req.lookup)) return 'none';
  let how: PrincipalMatch = 'direct';
  const s = cs.statement;
  if (checkPrincipal) {
    if (s.principal) {
      how = matchPrincipal(s.principal, req.who);
      if (how === 'none') return 'none';
    } else if (s.notPrincipal) {
      if (exemptedByNotPrincipal(s, s.notPrincipal, req)) return 'none';
      how = 'direct';
    } else return 'none';
  }
  if (cs.conditions.length > 0) {
    if (req.conditionMode === 'optimistic') return cs.effect === 'Allow' ? how : 'none';
    if (req.conditionMode === 'pinning' && cs.effect === 'Allow') return conditionsHold(pinningOf(cs), req) ? how : 'none';
    if (!conditionsHold(cs.conditions, req)) return 'none';
  }
  return how;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    if (Object.isFrozen(node)) continue;
    Object.freeze(node);
    // Only objects are stacked (a primitive needs no freezing). An array's elements by index: no
    // copy of it (Object.values) per node; most nodes of a policy are arrays of strings.
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (child !== null && typeof child === 'object') stack.push(child);
      }
    } else for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push(child as object);
  }
}

const byObject = new WeakMap<object, CompiledPolicy>();
const TEXT_CACHE_LIMIT = 1_000;
const byText = boundedMap<string, CompiledPolicy>(TEXT_CACHE_LIMIT);

/**
 * The compiled form of a policy document (raw JSON object, JSON text, or normalised policy), from
 * the cache when this document was compiled before. Throws PolicyParseError for a broken document
 * (not cached: it throws again next time). See the module comment for mutation.
 */
export function compiledPolicy(document: unknown): CompiledPolicy {
  if (typeof document === 'string') {
    const hit = byText.get(document);
    if (hit) return hit;
  } else if (document !== null && typeof document === 'object') {
    const hit = byObject.get(document);
    if (hit) return hit;
  }
  const policy = isNormalizedPolicy(document) ? document : parsePolicy(document).policy;
  const compiled = byObject.get(policy) ?? compilePolicy(policy);
  deepFreeze(policy);
  byObject.set(policy, compiled);
  if (typeof document === 'string') {
    remember(byText, document, compiled);
  } else if (document !== null && typeof document === 'object') {
    deepFreeze(document);
    byObject.set(document, compiled);
  }
  return compiled;
}
