/**
 * Witness search: instead of asking the evaluator about one fixed probe request, the analyzer asks
 * "is there ANY request of this shape that is allowed?" and, when there is, returns one — a witness
 * anyone can re-run with `trailwatch policy evaluate`. The search tries every combination of
 * candidate values (principals, resources, actions, and per condition key the values the policies
 * themselves can tell apart, see candidates.ts) through the real evaluator, so Denies, NotAction,
 * NotResource, NotPrincipal and conditions decide exactly as in `evaluate`.
 */
import { keyCandidates, usesVariables, variableKeys } from './candidates.ts';
import type { Candidate } from './candidates.ts';
import { compileClause, evaluateCompiledClause } from './conditions.ts';
import type { CompiledClause } from './conditions.ts';
import { buildLookup, evaluate } from './evaluate.ts';
import type { FreshValues } from './fresh.ts';
import { describePrincipal } from './principal.ts';
import { splitArn, type SplitArn } from './arn.ts';
import { actionRequest, admittingStatements, compiledPolicy, hasDynamicResource, identityMayAllow, identityMayAllowAny, resourceApplies, statementsCovering } from './compile.ts';
import type { CompiledStatement } from './compile.ts';
import type { EvaluationInput } from './evaluate.ts';
import type { ContextLookup } from './variables.ts';
import type { ConditionClause, EvaluationRequest, EvaluationResult, NamedPolicy, Policy, Witness } from './types.ts';

/** Keys the evaluator derives from the principal: a witness never sets them (it would contradict its own principal). */
const DERIVED = new Set(['aws:principalarn', 'aws:principalaccount', 'aws:username', 'aws:principalservicename']);

/** For clauses whose values use no policy variable: the lookup is never consulted. */
const NO_LOOKUP = (): undefined => undefined;

/** The identity policy a foreign or stranger caller holds in its own account: everything (its account is its own to grant). */
export const CALLER_ADMIN: NamedPolicy = {
  name: 'caller-own-account-admin',
  policy: { statements: [{ index: 0, effect: 'Allow', action: ['*'], resource: ['*'], conditions: [] }], size: 0, bytes: 0 } satisfies Policy,
};

export interface WitnessQuestion {
  actions: readonly string[];
  /** Candidate principals (`undefined` = anonymous). */
  principals: ReadonlyArray<string | undefined>;
  resources: readonly string[];
  resourceAccount?: string;
  identityPolicies?: NamedPolicy[];
  resourcePolicy?: NamedPolicy;
  resourcePolicyRequired?: boolean;
  permissionsBoundary?: NamedPolicy;
  /** Only the first pass (no condition context): "is it allowed unconditionally?" */
  exactOnly?: boolean;
  /** The caller's own account grants it everything (stranger / foreign-account questions). */
  callerAdmin?: boolean;
  /** Keys whose values are facts about the requester, with the only candidates allowed (lower-case key). */
  fixed?: ReadonlyMap<string, readonly Candidate[]>;
  fresh: FreshValues;
  /** Extra test on an Allow (e.g. "the deciding statement is this one", "the resource is not the caller itself"). */
  accept?(witness: Witness, result: EvaluationResult): boolean;
  /** Maximum number of evaluations (default 4,000). */
  budget?: number;
  /**
   * Answers to share between searches, only among searches with the same policies (identity,
   * resource, boundary), `fixed` facts, `fresh` values and `callerAdmin` (they depend on nothing else).
   */
  memo?: SearchMemo;
  /**
   * Walk the search even when no position of any action is admitted (the reference the shortcut,
   * {@link closedAnswer}, is tested against); the answer is the same either way.
   */
  walkClosed?: boolean;
}

/** What one search works out that another search of the same policies and facts would again (see {@link WitnessQuestion.memo}). */
export interface SearchMemo {
  /** The identity-admission test by action and resource. */
  admitted: Map<string, boolean>;
  /** Pass 2's candidate spaces by action when no clause has a policy variable (null: no key to search). */
  spaces: Map<string, Space[] | null>;
}

/** A memo for {@link WitnessQuestion.memo}. */
export function searchMemo(): SearchMemo {
  return { admitted: new Map(), spaces: new Map() };
}

export interface WitnessAnswer {
  witness?: Witness;
  result?: EvaluationResult;
  /** True when the witness needs request context (the grant holds only when its conditions hold). */
  conditional: boolean;
  /** Set when no witness was found but the search could not cover every combination. */
  undecided?: string;
}

function relevantClauses(policies: readonly NamedPolicy[], action: string): ConditionClause[] {
  const out: ConditionClause[] = [];
  const a = actionRequest(action);
  for (const { policy } of policies) {
    for (const s of statementsCovering(compiledPolicy(policy).policy, a)) if (s.conditions.length > 0) out.push(...s.conditions);
  }
  return out;
}

/** The clause with variables that name the principal's own facts (`${aws:PrincipalAccount}`) replaced by them. */
function resolveDerived(clause: ConditionClause, derived: (key: string) => string[] | undefined): ConditionClause {
  if (!hasVariableValue(clause)) return clause;
  const values = clause.values.map((v) =>
    v.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      const k = (inner.split(',')[0] as string).trim().toLowerCase();
      if (!DERIVED.has(k)) return whole;
      const found = derived(k);
      return found && found.length === 1 ? (found[0] as string) : whole;
    }),
  );
  return { ...clause, values };
}

/** Clauses compiled for {@link dedupe} (substituting), once per clause object (policies are frozen once compiled). */
const dedupeClauses = new WeakMap<ConditionClause, CompiledClause>();

function compiledForDedupe(c: ConditionClause): CompiledClause {
  let known = dedupeClauses.get(c);
  if (!known) dedupeClauses.set(c, (known = compileClause(c, true)));
  return known;
}

/** Keeps one candidate per distinct truth vector over the key's clauses (values the policies cannot tell apart are equivalent). */
function dedupe(key: string, clauses: readonly ConditionClause[], candidates: readonly Candidate[], principal: string | undefined): Candidate[] {
  if (clauses.length === 0 || clauses.some(usesVariables)) return [...candidates];
  // The principal's facts, built only if a clause asks for another key than its own (none does when
  // no clause uses a variable, but the lookup stays exact either way).
  let base: ContextLookup | undefined;
  let current: Candidate;
  const lookup = (k: string): string[] | undefined => (k.toLowerCase() === key ? current : (base ??= buildLookup(undefined, describePrincipal(principal)))(k));
  const seen = new Set<string>();
  const out: Candidate[] = [];
  const compiled = clauses.map(compiledForDedupe);
  for (const candidate of candidates) {
    current = candidate;
    let signature = '';
    for (const c of compiled) signature += evaluateCompiledClause(c, lookup(c.key), lookup) ? '1' : '0';
    if (seen.has(signature)) continue;
    seen.add(signature);
    out.push(candidate);
  }
  return out;
}

/** One condition key of the pass-2 search and the candidate values it tries, in order (shared: do not modify). */
export interface Space {
  key: string;
  values: Candidate[];
}

/** Ids for clause objects, so a list of clauses can be a memo key. */
const clauseIds = new WeakMap<ConditionClause, number>();
let nextClauseId = 1;
const clauseId = (c: ConditionClause): number => {
  let id = clauseIds.get(c);
  if (id === undefined) clauseIds.set(c, (id = nextClauseId++));
  return id;
};

/**
 * The deduplicated candidates of a key that is not fixed, memoised per fresh-value set (one analysis)
 * and clause list: `keyCandidates` depends only on the clauses and the fresh values (its fresh
 * tokens are stable once drawn), and `dedupe` does not look at the principal when no clause uses a
 * policy variable. The analyzer asks about the same action's clauses for several holders and
 * questions. The arrays are shared between searches: they are read, never modified.
 */
const candidateMemo = new WeakMap<FreshValues, Map<string, Candidate[]>>();

function freeCandidates(key: string, clauses: readonly ConditionClause[], fresh: FreshValues, principal: string | undefined): Candidate[] {
  if (clauses.some(usesVariables)) return dedupe(key, clauses, keyCandidates(clauses, fresh), principal);
  let memo = candidateMemo.get(fresh);
  if (!memo) candidateMemo.set(fresh, (memo = new Map()));
  let id = `${key}\u0000`;
  for (let i = 0; i < clauses.length; i++) id += i === 0 ? `${clauseId(clauses[i] as ConditionClause)}` : `,${clauseId(clauses[i] as ConditionClause)}`;
  let known = memo.get(id);
  if (!known) memo.set(id, (known = dedupe(key, clauses, keyCandidates(clauses, fresh), principal)));
  return known;
}

/** Some value of the clause has a policy variable (`${`). */
function hasVariableValue(c: ConditionClause): boolean {
  for (const v of c.values) if (v.includes('${')) return true;
  return false;
}

/** Pass 2's candidate spaces of one action's keys for a principal, fewest values first. */
function spacesFor(q: WitnessQuestion, byKey: ReadonlyMap<string, ConditionClause[]>, principal: string | undefined): Space[] {
  // The principal's facts are read only by clauses with a policy variable (resolveDerived keeps the others).
  // (No named closure here: under tsx each costs a `__name` call per search.)
  // One loop instead of spread/map/sort chain: the list is empty for most actions, and the chain's
  // builtins saw arrays of two element kinds late, deoptimising `findWitness` (where this is inlined).
  let derived: ContextLookup | undefined;
  const out: Space[] = [];
  for (const [key, list] of byKey) {
    const resolved = list.some(hasVariableValue) ? list.map((c) => (hasVariableValue(c) ? resolveDerived(c, (derived ??= buildLookup(undefined, describePrincipal(principal)))) : c)) : list;
    const fixed = q.fixed?.get(key);
    out.push({ key, values: fixed ? dedupe(key, resolved, fixed, principal) : freeCandidates(key, resolved, q.fresh, principal) });
  }
  if (out.length > 1) out.sort(bySpaceSize);
  return out;
}

/** Fewest candidate values first (a stable sort keeps the keys' order among equals). */
function bySpaceSize(a: Space, b: Space): number {
  return a.values.length - b.values.length;
}

/** A clause whose value in a request is the search context's alone: its key is not derived from the principal and its values use no policy variable. */
function contextDecides(c: CompiledClause): boolean {
  return !DERIVED.has(c.key) && !hasVariableValue(c.clause);
}

/**
 * What a gated search (no resource policy, no caller-admin policy: only an identity Allow can grant)
 * knows cannot be allowed, so it spends the budget unit of such an attempt without evaluating it:
 * the answer, the witness found first and the budget cut-off are those of evaluating every attempt.
 * One per search (its methods are not closures made per search).
 */
class Gate {
  private readonly gated: boolean;
  private readonly possible: Map<string, boolean>;
  /**
   * A statement with a condition on a fixed key (not derived from the principal, no policy variables)
   * that is false for every value the search can give that key never applies in this search: a fixed
   * key only ever takes one of its fixed candidates (the first in pass 1, any in pass 2; absent when
   * the list is empty or the candidate is `undefined`).
   */
  private readonly fixedOnly: Map<string, readonly Candidate[]> | undefined;
  private readonly ruledOutMemo: Map<CompiledStatement, boolean> | undefined;
  private readonly ruledOutTest: ((cs: CompiledStatement) => boolean) | undefined;
  /**
   * Per (action, resource) position: admitted at all, and the identity statements that admit it;
   * made on the first position asked (most searches are answered by {@link closed} alone).
   */
  private gates: Array<Array<boolean | undefined>> | undefined;
  private admitting: Array<Array<readonly CompiledStatement[] | null | undefined>> | undefined;

  constructor(
    private readonly q: WitnessQuestion,
    private readonly identityPolicies: readonly NamedPolicy[] | undefined,
  ) {
    this.gated = q.resourcePolicy === undefined && !q.callerAdmin;
    this.possible = q.memo?.admitted ?? new Map<string, boolean>();
    let fixedOnly: Map<string, readonly Candidate[]> | undefined;
    for (const [key, values] of q.fixed ?? []) if (!DERIVED.has(key)) (fixedOnly ??= new Map()).set(key, values.length > 0 ? values : [undefined]);
    this.fixedOnly = fixedOnly;
    // Without a fixed key no statement is ruled out: no memo, no test.
    this.ruledOutMemo = fixedOnly ? new Map() : undefined;
    this.ruledOutTest = fixedOnly ? (cs) => this.ruledOut(cs) : undefined;
  }

  private ruledOut(cs: CompiledStatement): boolean {
    const memo = this.ruledOutMemo as Map<CompiledStatement, boolean>;
    const fixedOnly = this.fixedOnly as Map<string, readonly Candidate[]>;
    let known = memo.get(cs);
    if (known === undefined) {
      known = false;
      for (const c of cs.conditions) {
        const candidates = fixedOnly.get(c.key);
        if (!candidates || hasVariableValue(c.clause)) continue;
        if (candidates.every((v) => !evaluateCompiledClause(c, v, NO_LOOKUP))) {
          known = true;
          break;
        }
      }
      memo.set(cs, known);
    }
    return known;
  }

  /**
   * Can some identity statement's Action and static Resource admit the pair? When not, the attempt
   * fails for every principal and context.
   */
  private mayAllow(action: string, resource: string): boolean {
    if (!this.gated) return true;
    const key = `${action}\u0000${resource}`;
    let known = this.possible.get(key);
    if (known === undefined) {
      const a = actionRequest(action);
      // sts:GetCallerIdentity is allowed without any policy (evaluate.ts).
      if (a.lowerAction === 'sts:getcalleridentity') known = true;
      else {
        const split = splitArn(resource);
        try {
          known = (this.identityPolicies ?? []).some((p) => identityMayAllow(p.policy, a, split, this.ruledOutTest));
        } catch {
          known = true; // a broken document: let the evaluator report it
        }
      }
      this.possible.set(key, known);
    }
    return known;
  }

  /**
   * Is every position of the action gated out? True when no identity Allow statement covering it can
   * apply in this search (none covers it, or the fixed facts rule each out): then {@link admits} is
   * false for every resource, and the search spends the budget of each position without asking it.
   */
  closed(ai: number): boolean {
    if (!this.gated) return false;
    const a = actionRequest(this.q.actions[ai] as string);
    if (a.lowerAction === 'sts:getcalleridentity') return false;
    try {
      return !(this.identityPolicies ?? []).some((p) => identityMayAllowAny(p.policy, a, this.ruledOutTest));
    } catch {
      return false; // a broken document: mayAllow lets the evaluator report it
    }
  }

  /**
   * Is every position of every action gated out ({@link closed} per action, given as `closed`, or
   * no resource of it {@link admits})? The walked search then evaluates nothing: both passes only
   * spend the budget of each position, exactly as for a search whose every action is closed.
   * Stops at the first admitted position (the one pass 1 would try first).
   */
  noneAdmitted(closed: readonly boolean[]): boolean {
    if (!this.gated) return false;
    for (let ai = 0; ai < this.q.actions.length; ai++) {
      if (closed[ai]) continue;
      for (let ri = 0; ri < this.q.resources.length; ri++) if (this.admits(ai, ri)) return false;
    }
    return true;
  }

  /** mayAllow per (action, resource) position, asked once per search (the loops ask each pair per principal). */
  admits(ai: number, ri: number): boolean {
    const row = (this.gates ??= this.q.actions.map(() => []))[ai] as Array<boolean | undefined>;
    let known = row[ri];
    if (known === undefined) row[ri] = known = this.mayAllow(this.q.actions[ai] as string, this.q.resources[ri] as string);
    return known;
  }

  private statementsAdmitting(ai: number, ri: number): readonly CompiledStatement[] | null {
    const row = (this.admitting ??= this.q.actions.map(() => []))[ai] as Array<readonly CompiledStatement[] | null | undefined>;
    let known = row[ri];
    if (known === undefined) {
      const a = actionRequest(this.q.actions[ai] as string);
      const split = splitArn(this.q.resources[ri] as string);
      try {
        known = (this.identityPolicies ?? []).flatMap((p) => admittingStatements(p.policy, a, split, this.ruledOutTest));
      } catch {
        known = null; // a broken document: always ask the evaluator
      }
      row[ri] = known;
    }
    return known;
  }

  /**
   * Before an evaluation: can one of the identity statements that admit the pair still apply with
   * this context? Each clause the context alone decides is evaluated as the evaluator would, and a
   * Resource with policy variables is matched as the evaluator matches it (substituted from the
   * request's lookup: this context and the principal's own keys); when every admitting statement
   * fails one of these, no identity Allow applies and the attempt cannot allow.
   */
  mayApply(ai: number, ri: number, principal: string | undefined, context: Record<string, string[]>): boolean {
    if (!this.gated || (this.q.actions[ai] as string).toLowerCase() === 'sts:getcalleridentity') return true;
    const list = this.statementsAdmitting(ai, ri);
    if (list === null) return true;
    // Built on the first statement with a dynamic Resource, then shared by the others.
    let lookup: ContextLookup | undefined;
    let resource: SplitArn | undefined;
    for (const cs of list) {
      let possible = true;
      for (const c of cs.conditions) {
        if (contextDecides(c) && !evaluateCompiledClause(c, context[c.key], NO_LOOKUP)) {
          possible = false;
          break;
        }
      }
      if (possible && hasDynamicResource(cs)) {
        try {
          possible = resourceApplies(cs, (resource ??= splitArn(this.q.resources[ri] as string)), (lookup ??= buildLookup(context, describePrincipal(principal))));
        } catch {
          possible = true; // let the evaluator report it
        }
      }
      if (possible) return true;
    }
    return false;
  }
}

/**
 * Whether, for every principal of the search, {@link resolveDerived} leaves the clause without a
 * policy variable: each `${…}` is an escape (`${*}`, `${?}`, `${$}`) or names a key derived from the
 * principal that has exactly one value for it. The clause's space is then deduplicated like that of
 * a clause without variables, whoever the principal.
 */
function resolvesForAll(c: ConditionClause, principals: ReadonlyArray<string | undefined>): boolean {
  for (const v of c.values) {
    for (const m of v.matchAll(/\$\{([^}]*)\}/g)) {
      const inner = (m[1] ?? '').trim();
      if (inner === '*' || inner === '?' || inner === '$') continue;
      const k = (inner.split(',')[0] as string).trim().toLowerCase();
      if (!DERIVED.has(k)) return false;
      for (const p of principals) {
        const found = buildLookup(undefined, describePrincipal(p))(k);
        if (found?.length !== 1 || (found[0] as string).includes('${')) return false;
      }
    }
  }
  return true;
}

/**
 * The answer of a gated search in which no position of any action is admitted, without walking it:
 * pass 1 spends one budget unit per position and finds nothing, pass 2 spends each position's leaves
 * (the product of its candidate spaces' sizes) and finds nothing. Each free key's space holds at
 * most 2^n values (dedupe keeps one per truth vector of its n clauses) and a fixed key's at most its
 * fixed candidates, so when the budget covers every position at those sizes the search ends with no
 * witness and no `undecided` note; otherwise (or when a clause keeps a policy variable for some
 * principal, whose space is then not deduplicated) this returns undefined and the search runs. The only fresh value the
 * spaces would have drawn, the default token of a free key's candidates, is drawn here too.
 */
function closedAnswer(q: WitnessQuestion, policies: readonly NamedPolicy[]): WitnessAnswer | undefined {
  const positions = q.principals.length * q.resources.length;
  let budget = (q.budget ?? 4000) - q.actions.length * positions;
  if (q.exactOnly) return { conditional: false };
  let freeKey = false;
  for (const action of q.actions) {
    const remembered = q.memo?.spaces.get(action);
    if (remembered === null) continue;
    let leaves = 1;
    if (remembered) {
      for (const sp of remembered) leaves *= sp.values.length;
    } else {
      const counts = new Map<string, number>();
      for (const c of relevantClauses(policies, action)) {
        if (hasVariableValue(c) && !resolvesForAll(c, q.principals)) return undefined;
        const k = c.key.toLowerCase();
        if (!DERIVED.has(k)) counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      if (counts.size === 0) {
        q.memo?.spaces.set(action, null);
        continue;
      }
      for (const [k, n] of counts) {
        const fixed = q.fixed?.get(k);
        if (fixed) leaves *= fixed.length;
        else {
          freeKey = true;
          leaves *= 2 ** n;
        }
      }
    }
    for (let i = 0; i < positions; i++) {
      if (budget <= 0 || leaves > budget) return undefined;
      budget -= leaves;
    }
  }
  if (freeKey) q.fresh.token();
  return { conditional: false };
}

/** Where pass 2's depth-first walk is: one (principal, action, resource) and its candidate spaces. */
interface WalkAt {
  principal: string | undefined;
  action: string;
  resource: string;
  ai: number;
  ri: number;
  spaces: Space[];
  context: Record<string, string[]>;
}

/**
 * One search's evaluations: the budget left, the one evaluation input whose request changes between
 * attempts, and pass 2's depth-first walk. Methods of one object per search rather than closures
 * made per search (under tsx each such closure costs a `__name` call on every `findWitness`).
 */
class Attempts {
  budget: number;
  exhausted = false;
  /** One input object for the whole search: only the request changes between attempts (evaluate keeps no reference). */
  private readonly input: EvaluationInput = { request: { action: '', resource: '' } };
  /** The position {@link walk} searches (set before each walk). */
  at: WalkAt | undefined;

  constructor(
    private readonly q: WitnessQuestion,
    private readonly gate: Gate,
    identityPolicies: NamedPolicy[] | undefined,
  ) {
    this.budget = q.budget ?? 4000;
    const input = this.input;
    if (identityPolicies) input.identityPolicies = identityPolicies;
    if (q.resourcePolicy) input.resourcePolicy = q.resourcePolicy;
    if (q.permissionsBoundary) input.permissionsBoundary = q.permissionsBoundary;
    if (q.resourcePolicyRequired !== undefined) input.resourcePolicyRequired = q.resourcePolicyRequired;
  }

  /** Evaluates one candidate request; `context` may be the caller's scratch object (copied into a witness). */
  attempt(principal: string | undefined, action: string, resource: string, context: Record<string, string[]>): WitnessAnswer | undefined {
    const q = this.q;
    this.budget--;
    const request: EvaluationRequest = { action, resource, context };
    if (principal !== undefined) request.principal = principal;
    if (q.resourceAccount !== undefined) request.resourceAccount = q.resourceAccount;
    this.input.request = request;
    const result = evaluate(this.input);
    if (result.decision !== 'Allow') return undefined;
    const witness: Witness = { action, resource, context: { ...context } };
    if (principal !== undefined) witness.principal = principal;
    if (q.resourceAccount !== undefined) witness.resourceAccount = q.resourceAccount;
    if (q.callerAdmin) witness.callerAdmin = true;
    if (q.accept && !q.accept(witness, result)) return undefined;
    return { witness, result, conditional: Object.keys(context).some((k) => !q.fixed?.has(k.toLowerCase())) };
  }

  /** The depth-first walk over {@link at}'s spaces from space `i` on. */
  walk(i: number): WitnessAnswer | undefined {
    const { principal, action, resource, ai, ri, spaces, context } = this.at as WalkAt;
    if (this.budget <= 0) {
      this.exhausted = true;
      return undefined;
    }
    if (i === spaces.length) {
      if (!this.gate.mayApply(ai, ri, principal, context)) {
        this.budget--;
        return undefined;
      }
      return this.attempt(principal, action, resource, context);
    }
    const space = spaces[i] as Space;
    for (const value of space.values) {
      if (value === undefined) delete context[space.key];
      else context[space.key] = value;
      const found = this.walk(i + 1);
      if (found || this.exhausted) return found;
    }
    delete context[space.key];
    return undefined;
  }
}

/**
 * Searches for an allowed request. First every principal × resource × action with no context (an
 * unconditional grant), then every combination of candidate context values for the condition keys
 * the relevant statements test. Returns the first witness found, or none (with `undecided` when the
 * budget ran out or a condition compares with another key through a policy variable).
 */
export function findWitness(q: WitnessQuestion): WitnessAnswer {
  const identityPolicies = q.callerAdmin ? [...(q.identityPolicies ?? []), CALLER_ADMIN] : q.identityPolicies;
  const gate = new Gate(q, identityPolicies);

  // Actions whose every position is gated out (asked once each): pass 1 spends one unit per position
  // (it never stops on the budget) and pass 2 only the budget of each position's leaves.
  const closed: boolean[] = [];
  let allClosed = true;
  for (let ai = 0; ai < q.actions.length; ai++) if (!(closed[ai] = gate.closed(ai))) allClosed = false;
  const policies = [...(q.identityPolicies ?? []), ...(q.resourcePolicy ? [q.resourcePolicy] : []), ...(q.permissionsBoundary ? [q.permissionsBoundary] : [])];
  // No position admitted at all (every action closed, or none of its resources admitted): the same answer.
  if (!q.walkClosed && (allClosed || gate.noneAdmitted(closed))) {
    const answer = closedAnswer(q, policies);
    if (answer) return answer;
  }

  const run = new Attempts(q, gate, identityPolicies);
  const fixedFirst: Record<string, string[]> = {};
  for (const [key, values] of q.fixed ?? []) {
    const v = values[0];
    if (v !== undefined) fixedFirst[key] = v;
  }

  // Pass 1: no condition context beyond the requester's fixed facts.
  for (let ai = 0; ai < q.actions.length; ai++) {
    if (closed[ai]) {
      run.budget -= q.principals.length * q.resources.length;
      continue;
    }
    const action = q.actions[ai] as string;
    for (const principal of q.principals) {
      for (let ri = 0; ri < q.resources.length; ri++) {
        const resource = q.resources[ri] as string;
        if (!gate.admits(ai, ri)) {
          run.budget--;
          continue;
        }
        if (!gate.mayApply(ai, ri, principal, fixedFirst)) {
          run.budget--;
          continue;
        }
        const found = run.attempt(principal, action, resource, fixedFirst);
        if (found) return found;
      }
    }
  }

  if (q.exactOnly) return { conditional: false };
  // Pass 2: every combination of candidate values of the keys the relevant statements test.
  for (let ai = 0; ai < q.actions.length; ai++) {
    const action = q.actions[ai] as string;
    const remembered = q.memo?.spaces.get(action);
    if (remembered === null) continue;
    const clauses = remembered ? [] : relevantClauses(policies, action);
    const byKey = new Map<string, ConditionClause[]>();
    for (const c of clauses) {
      const k = c.key.toLowerCase();
      if (DERIVED.has(k)) continue;
      byKey.set(k, [...(byKey.get(k) ?? []), c]);
    }
    // A key another clause refers to through a policy variable (`${aws:PrincipalTag/team}`) is part of
    // the search too: absent, or the same fresh value the referring clause's instantiation uses.
    for (const c of clauses) for (const k of variableKeys(c)) if (!DERIVED.has(k) && !byKey.has(k)) byKey.set(k, []);
    if (!remembered && byKey.size === 0) {
      q.memo?.spaces.set(action, null);
      continue;
    }
    // Remembered spaces: one per key of the search, as byKey would have listed them.
    if (remembered) for (const sp of remembered) byKey.set(sp.key, []);
    // With no policy variable in any clause, nothing in the spaces depends on the principal
    // (resolveDerived keeps each clause, dedupe never reads the principal's facts): one list serves all.
    const principalFree = remembered !== undefined || !clauses.some(hasVariableValue);
    let shared: Space[] | undefined = remembered;
    for (const principal of q.principals) {
      if (principalFree && shared === undefined) {
        shared = spacesFor(q, byKey, principal);
        q.memo?.spaces.set(action, shared);
      }
      const spaces = shared ?? spacesFor(q, byKey, principal);
      for (let ri = 0; ri < q.resources.length; ri++) {
        const resource = q.resources[ri] as string;
        if (closed[ai] || !gate.admits(ai, ri)) {
          // Every leaf of this resource's search fails: spend the budget the search would have spent,
          // and give up where it would have (a node entered with no budget left).
          let leaves = 1;
          for (const sp of spaces) leaves *= sp.values.length;
          if (run.budget <= 0 || leaves > run.budget) {
            run.exhausted = true;
            return { conditional: false, undecided: `could not be decided: the search space of ${spaces.map((sp) => sp.key).join(', ')} is too large` };
          }
          run.budget -= leaves;
          continue;
        }
        const context: Record<string, string[]> = {};
        for (const [key, value] of Object.entries(fixedFirst)) if (!byKey.has(key)) context[key] = value;
        run.at = { principal, action, resource, ai, ri, spaces, context };
        const found = run.walk(0);
        if (found) return found;
        if (run.exhausted) return { conditional: false, undecided: `could not be decided: the search space of ${spaces.map((s) => s.key).join(', ')} is too large` };
      }
    }
  }
  return { conditional: false };
}

/**
 * The `trailwatch policy evaluate` arguments that re-run a witness against the analysed policy file
 * (`--policy` for identity findings, `--resource-policy` for resource, trust and key policies).
 */
export function witnessArgs(w: Witness, policyFile: string, side: 'identity' | 'resource'): string[] {
  const args = [side === 'identity' ? '--policy' : '--resource-policy', policyFile, '--action', w.action, '--resource', w.resource];
  if (w.principal !== undefined) args.push('--principal', w.principal);
  if (w.resourceAccount !== undefined) args.push('--resource-account', w.resourceAccount);
  for (const [key, values] of Object.entries(w.context)) for (const v of values) args.push('--context', `${key}=${v}`);
  if (w.callerAdmin) args.push('--caller-admin');
  return args;
}
