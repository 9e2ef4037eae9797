import { splitArn } from './arn.ts';
import type { SplitArn } from './arn.ts';
import { compiledPolicy, compiledStatementApplies, serviceOf, statementsFor } from './compile.ts';
import type { CompiledPolicy, CompiledRequest } from './compile.ts';
import { EvaluationInputError, PolicyParseError } from './errors.ts';
import { describePrincipal } from './principal.ts';
import type { PrincipalInfo, PrincipalMatch } from './principal.ts';
import type { ConditionMode } from './statement-match.ts';
import type {
  ContextValue,
  DecidingStatement,
  EvaluationRequest,
  EvaluationResult,
  NamedPolicy,
  Policy,
  PolicyRole,
} from './types.ts';
import type { ContextLookup } from './variables.ts';

/** Everything that can take part in one authorization decision. */
export interface EvaluationInput {
  request: EvaluationRequest;
  identityPolicies?: NamedPolicy[];
  /** The resource-based policy of the target (bucket policy, key policy, role trust policy…). */
  resourcePolicy?: NamedPolicy;
  permissionsBoundary?: NamedPolicy;
  sessionPolicies?: NamedPolicy[];
  /** Service control policies, one list per level of the OU path (root first). */
  scps?: NamedPolicy[][];
  /** Resource control policies, one list per level; absent levels mean the default RCPFullAWSAccess. */
  rcps?: NamedPolicy[][];
  /**
   * The resource policy must allow even within the account (IAM role trust policies, KMS key
   * policies). Defaults to true for `sts:AssumeRole*` actions and KMS key ARNs when a resource
   * policy is given.
   */
  resourcePolicyRequired?: boolean;
  /** `optimistic` answers "could this be allowed" (used by the analyzer); default `evaluate`. */
  conditionMode?: ConditionMode;
}

interface Prepared {
  role: PolicyRole;
  name: string;
  policy: Policy;
  compiled: CompiledPolicy;
  level?: number;
}

function prepare(named: NamedPolicy, role: PolicyRole, level?: number): Prepared {
  if (!named || typeof named !== 'object' || typeof named.name !== 'string') {
    throw new EvaluationInputError(`a ${role} policy must be { name, policy }`);
  }
  let compiled: CompiledPolicy;
  try {
    compiled = compiledPolicy(named.policy);
  } catch (error) {
    if (error instanceof PolicyParseError) throw new EvaluationInputError(`${role} policy ${named.name}: ${error.message}`, named.name);
    throw error;
  }
  const out: Prepared = { role, name: named.name, policy: compiled.policy, compiled };
  if (level !== undefined) out.level = level;
  return out;
}

function toStrings(value: ContextValue): string[] {
  if (typeof value === 'string') return [value];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v));
}

/** Builds the case-insensitive context lookup, adding the keys IAM always knows about the principal. */
export function buildLookup(context: Record<string, ContextValue> | undefined, who: PrincipalInfo): ContextLookup {
  const map = buildContext(context, who);
  return (key: string) => map.get(key.toLowerCase());
}

/**
 * The request context by lower-cased key. No lookup closure is made here: an evaluation reads the
 * map directly (under tsx every closure costs a `__name` call), {@link buildLookup} wraps it.
 */
function buildContext(context: Record<string, ContextValue> | undefined, who: PrincipalInfo): Map<string, string[]> {
  const map = new Map<string, string[]>();
  if (who.id && who.type !== 'service' && who.type !== 'anonymous') {
    map.set('aws:principalarn', [who.id]);
    if (who.account) map.set('aws:principalaccount', [who.account]);
    if (who.type === 'user' && who.userName) map.set('aws:username', [who.userName]);
  }
  if (who.type === 'service' && who.id) map.set('aws:principalservicename', [who.id]);
  if (context) {
    for (const key of Object.keys(context)) {
      const value = context[key];
      if (value === undefined || value === null) continue;
      map.set(key.toLowerCase(), toStrings(value));
    }
  }
  return map;
}

interface Hit {
  prepared: Prepared;
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  how: PrincipalMatch;
}

/**
 * The request as the compiled statements see it, with the context map built on first use (most
 * requests meet no condition). A class, so a request creates no closures unless a condition needs
 * the lookup function.
 */
class RequestFacts implements CompiledRequest {
  private map: Map<string, string[]> | undefined;
  private lookupFn: ContextLookup | undefined;
  readonly lowerAction: string;
  readonly service: string;
  hasBoundary?: boolean;
  constructor(
    readonly action: string,
    readonly resource: SplitArn,
    readonly who: PrincipalInfo,
    readonly conditionMode: ConditionMode,
    private readonly context: Record<string, ContextValue> | undefined,
  ) {
    this.lowerAction = action.toLowerCase();
    this.service = serviceOf(this.lowerAction);
  }
  value(lowerKey: string): string[] | undefined {
    this.map ??= buildContext(this.context, this.who);
    return this.map.get(lowerKey);
  }
  get lookup(): ContextLookup {
    this.lookupFn ??= (key) => this.value(key.toLowerCase());
    return this.lookupFn;
  }
}

const NO_HITS: Hit[] = [];

function hits(prepared: Prepared, req: CompiledRequest, checkPrincipal = false): Hit[] {
  let out = NO_HITS;
  for (const s of statementsFor(prepared.compiled, req.service)) {
    const how = compiledStatementApplies(s, req, checkPrincipal);
    if (how === 'none') continue;
    const hit: Hit = { prepared, index: s.index, effect: s.effect, how };
    if (s.sid !== undefined) hit.sid = s.sid;
    if (out === NO_HITS) out = [hit];
    else out.push(hit);
  }
  return out;
}

/**
 * Appends the Deny hits of `list` to `into` (made on the first one) and returns it. A loop with one
 * array made only when a Deny applies, instead of spreading every hit list into one and filtering it:
 * the lists are empty or not, of two element kinds, and a chain of array builtins over them gave
 * `evaluate` type feedback that kept changing after the analyzer's first pass (a deopt per pass).
 */
function collectDenies(into: Hit[] | undefined, list: readonly Hit[]): Hit[] | undefined {
  let out = into;
  for (let i = 0; i < list.length; i++) {
    const h = list[i] as Hit;
    if (h.effect !== 'Deny') continue;
    if (out === undefined) out = [h];
    else out.push(h);
  }
  return out;
}

function deny(why: string, deciding: Hit[] = []): EvaluationResult {
  return { decision: 'ImplicitDeny', deciding: deciding.map(toDeciding), explanation: [why] };
}

function toDeciding(h: Hit): DecidingStatement {
  const d: DecidingStatement = { role: h.prepared.role, policy: h.prepared.name, statement: h.index, effect: h.effect };
  if (h.prepared.level !== undefined) d.level = h.prepared.level;
  if (h.sid !== undefined) d.sid = h.sid;
  return d;
}

function label(h: Hit): string {
  const level = h.prepared.level !== undefined ? ` (level ${h.prepared.level})` : '';
  const sid = h.sid ? ` "${h.sid}"` : '';
  return `${h.prepared.role} policy ${h.prepared.name}${level} statement ${h.index}${sid}`;
}

/**
 * Evaluates one request the way AWS documents its policy evaluation logic:
 * 1. an explicit Deny in any applicable policy wins;
 * 2. every RCP level and every SCP level must allow;
 * 3. within one account, an Allow in the resource policy that names the principal grants access
 *    on its own (a role ARN grant is still limited by the session's boundary and session policies);
 *    across accounts both the identity side and the resource policy must allow;
 * 4. the identity policies must allow, within the permissions boundary and session policies.
 * Role trust policies and KMS key policies must allow even within one account.
 * Returns the decision and the statements that decided it.
 */
export function evaluate(input: EvaluationInput): EvaluationResult {
  const request = input?.request;
  if (!request || typeof request.action !== 'string' || request.action === '' || typeof request.resource !== 'string') {
    throw new EvaluationInputError('request needs a string action and resource');
  }
  const who = describePrincipal(request.principal);
  const split = splitArn(request.resource);
  const arnAccount = split.isArn && request.resource.startsWith('arn:') ? request.resource.slice(split.starts[4], split.ends[4]) : '';
  const resourceAccount = request.resourceAccount ?? (arnAccount || undefined) ?? who.account;
  const sameAccount = resourceAccount === undefined || who.account === undefined || resourceAccount === who.account;
  const req = new RequestFacts(request.action, split, who, input.conditionMode ?? 'evaluate', request.context);
  if (input.permissionsBoundary !== undefined) req.hasBoundary = true;
  const lowerAction = req.lowerAction;
  const principalSide = who.type !== 'service' && who.type !== 'anonymous';

  // Every policy is prepared (so a broken one is reported) even when it does not apply to this principal:
  // anonymous and service principals have no identity-side policies.
  const identityAll = (input.identityPolicies ?? []).map((p) => prepare(p, 'identity'));
  const boundaryAll = input.permissionsBoundary ? prepare(input.permissionsBoundary, 'boundary') : undefined;
  const sessionsAll = (input.sessionPolicies ?? []).map((p) => prepare(p, 'session'));
  const scpAll = (input.scps ?? []).map((level, i) => level.map((p) => prepare(p, 'scp', i)));
  const rcpAll = (input.rcps ?? []).map((level, i) => level.map((p) => prepare(p, 'rcp', i)));
  const identity = principalSide ? identityAll : [];
  const boundary = principalSide ? boundaryAll : undefined;
  const sessions = principalSide ? sessionsAll : [];
  const scpLevels = principalSide ? scpAll : [];
  const rcpLevels = who.type === 'service' ? [] : rcpAll;
  const resource = input.resourcePolicy ? prepare(input.resourcePolicy, 'resource') : undefined;

  const identityHits = identity.flatMap((p) => hits(p, req));
  const boundaryHits = boundary ? hits(boundary, req) : [];
  const sessionHits = sessions.flatMap((p) => hits(p, req));
  const scpHits = scpLevels.map((level) => level.flatMap((p) => hits(p, req)));
  const rcpHits = rcpLevels.map((level) => level.flatMap((p) => hits(p, req)));
  const resourceHits = resource ? hits(resource, req, true) : [];

  // sts:GetCallerIdentity needs no permission and an explicit Deny cannot block it (STS API
  // reference, GetCallerIdentity): any authenticated principal gets an answer.
  if (principalSide && lowerAction === 'sts:getcalleridentity') {
    return { decision: 'Allow', deciding: [], explanation: ['sts:GetCallerIdentity needs no permission and cannot be denied'] };
  }

  // The Deny hits in the order identity, boundary, session, SCP levels, RCP levels, resource; built
  // only when there is one (most requests meet none), with loops instead of a spread/flat/filter chain.
  let denies = collectDenies(undefined, identityHits);
  denies = collectDenies(denies, boundaryHits);
  denies = collectDenies(denies, sessionHits);
  for (let i = 0; i < scpHits.length; i++) denies = collectDenies(denies, scpHits[i] as Hit[]);
  for (let i = 0; i < rcpHits.length; i++) denies = collectDenies(denies, rcpHits[i] as Hit[]);
  denies = collectDenies(denies, resourceHits);
  if (denies !== undefined) {
    return {
      decision: 'ExplicitDeny',
      deciding: denies.map(toDeciding),
      explanation: denies.map((h) => `explicit Deny in ${label(h)}`),
    };
  }
  const needed: Hit[] = [];
  for (const [i, level] of rcpHits.entries()) {
    const allow = level.filter((h) => h.effect === 'Allow');
    if (allow.length === 0) return deny(`no RCP at level ${i} allows ${request.action} (${rcpLevels[i]?.map((p) => p.name).join(', ') || 'empty level'})`);
    needed.push(allow[0] as Hit);
  }
  for (const [i, level] of scpHits.entries()) {
    const allow = level.filter((h) => h.effect === 'Allow');
    if (allow.length === 0) return deny(`no SCP at level ${i} allows ${request.action} (${scpLevels[i]?.map((p) => p.name).join(', ') || 'empty level'})`);
    needed.push(allow[0] as Hit);
  }

  const resourceAllows = resourceHits.filter((h) => h.effect === 'Allow');
  const directResource = resourceAllows.filter((h) => h.how === 'direct' || h.how === 'direct-role');
  const isTrustOrKey =
    /^sts:assumerole/i.test(request.action) || /^arn:[^:]+:kms:/.test(request.resource);
  const resourceRequired = resource !== undefined && (input.resourcePolicyRequired ?? isTrustOrKey);
  if (resourceRequired && resourceAllows.length === 0) {
    return deny(`the resource policy ${resource?.name} does not allow ${request.action} for this principal, and it must`);
  }
  if (!principalSide) {
    if (directResource.length === 0) return deny(`no statement of the resource policy allows this ${who.type} principal`);
    const h = directResource[0] as Hit;
    return { decision: 'Allow', deciding: [...needed, h].map(toDeciding), explanation: [`allowed by ${label(h)}`] };
  }

  const identityAllows = identityHits.filter((h) => h.effect === 'Allow');
  const boundaryAllows = boundaryHits.filter((h) => h.effect === 'Allow');
  const sessionAllows = sessionHits.filter((h) => h.effect === 'Allow');
  const boundaryOk = !boundary || boundaryAllows.length > 0;
  const sessionsOk = sessions.length === 0 || sessionAllows.length > 0;

  if (sameAccount && directResource.length > 0) {
    // A grant naming exactly this principal (user, session) is not limited by boundary or session policies;
    // a grant to the role ARN (or everyone) is.
    const exact = directResource.find((h) => h.how === 'direct');
    const namedExactly = exact !== undefined && who.type !== 'role' && resourceNamesExactly(exact, who);
    if (namedExactly || (boundaryOk && sessionsOk)) {
      const h = (exact ?? directResource[0]) as Hit;
      const extra = [...(namedExactly ? [] : [...boundaryAllows.slice(0, 1), ...sessionAllows.slice(0, 1)])];
      return {
        decision: 'Allow',
        deciding: [...needed, h, ...extra].map(toDeciding),
        explanation: [`allowed by ${label(h)} (same-account resource policy grant)`],
      };
    }
  }
  if (!sameAccount && resourceAllows.length === 0) {
    return deny(
      resource
        ? `cross-account request: the resource policy ${resource.name} of account ${resourceAccount} does not allow it`
        : `cross-account request to account ${resourceAccount}: no resource policy allows it`,
    );
  }
  if (identityAllows.length === 0) return deny(`no identity policy allows ${request.action} on ${request.resource}`);
  if (!boundaryOk) return deny(`the permissions boundary ${boundary?.name} does not allow ${request.action}`);
  if (!sessionsOk) return deny(`no session policy allows ${request.action}`);
  const first = identityAllows[0] as Hit;
  const deciding = [...needed, first, ...boundaryAllows.slice(0, 1), ...sessionAllows.slice(0, 1)];
  if (!sameAccount) deciding.push(resourceAllows[0] as Hit);
  const explanation = [`allowed by ${label(first)}`];
  if (boundary) explanation.push(`within the permissions boundary (${label(boundaryAllows[0] as Hit)})`);
  if (!sameAccount) explanation.push(`and by the resource policy for the cross-account call (${label(resourceAllows[0] as Hit)})`);
  return { decision: 'Allow', deciding: deciding.map(toDeciding), explanation };
}

/** True when the Allow statement names the principal's own ARN (not via `*`, account or role ARN). */
function resourceNamesExactly(hit: Hit, who: PrincipalInfo): boolean {
  const statement = hit.prepared.policy.statements.find((s) => s.index === hit.index);
  const aws = statement?.principal?.['AWS'] ?? [];
  return who.id !== undefined && aws.includes(who.id);
}
