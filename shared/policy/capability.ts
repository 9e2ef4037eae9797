/**
 * What a set of identity policies lets its holder do, asked action by action as a witness search:
 * "is there a holder, a resource of this kind the holder could exploit and a request context for
 * which the evaluator says Allow?" The holder, the resource names and the context values are drawn
 * from the policies themselves plus fresh values (fresh.ts), never from fixed probe names.
 */
import { instantiateArn, instantiatePattern } from './candidates.ts';
import { parseArn } from './arn.ts';
import { RESOURCE_TEMPLATES } from './escalation-paths.ts';
import type { ResourceKind } from './escalation-paths.ts';
import { buildLookup } from './evaluate.ts';
import type { FreshValues } from './fresh.ts';
import { describePrincipal } from './principal.ts';
import { covers } from './action-index.ts';
import type { ActionIndex, Coverage } from './action-index.ts';
import { actionRequest, coversAction, statementsCovering } from './compile.ts';
import type { DecidingStatement, NamedPolicy, Policy, Witness } from './types.ts';
import { substituteText } from './variables.ts';
import type { Candidate } from './candidates.ts';
import { findWitness, searchMemo } from './witness.ts';
import type { SearchMemo, WitnessQuestion } from './witness.ts';
import { boundedMap, remember } from '../memo.ts';

/** The answer for one action on one kind of resource. */
export interface Grant {
  allowed: boolean;
  /** True when allowed only with request context (the statements' conditions must hold). */
  conditional: boolean;
  statements: DecidingStatement[];
  witness?: Witness;
  /** Why the search could not decide (the grant is then reported as possible). */
  undecided?: string;
}

export interface CapabilityOptions {
  /**
   * The holder's account(s): the owner when known, else a fresh account; plus accounts the Resources
   * name. A function is called once, on the first search (an analysis that searches nothing draws no account).
   */
  accounts: string[] | (() => string[]);
  fresh: FreshValues;
  /** The holder, when the policies are known to be attached to one principal. */
  holder?: string;
  permissionsBoundary?: NamedPolicy;
  /** The questions' action index: {@link Capability.hasAllow} answers them without compiling the policies. */
  index?: ActionIndex;
}

export interface CanOptions {
  /** The target must be another principal than the holder. */
  notSelf?: boolean;
  /** Only "some resource of the kind nobody named" (fresh name): for wildcard findings. */
  anyResourceOnly?: boolean;
  /** Only unconditional grants count. */
  exactOnly?: boolean;
  /** For iam:PassRole: the services the role is handed to (`iam:PassedToService`, one of them). */
  passedTo?: string[];
}

function fillTemplate(kind: ResourceKind, account: string, name: string, service: string): string {
  const key = `${kind}\u0000${account}\u0000${name}\u0000${service}`;
  let filled = templates.get(key);
  if (filled === undefined) {
    filled = RESOURCE_TEMPLATES[kind].replace(/\{account\}/g, account).replace('arn:aws:{name}', `arn:aws:${service}`).replace('{service}', service).replace(/\{name\}/g, name);
    remember(templates, key, filled);
  }
  return filled;
}

const INSTANCE_CACHE_LIMIT = 20_000;

/** fillTemplate is a pure function of its arguments; analyses draw the same fresh tokens and accounts. */
const templates = boundedMap<string, string>(INSTANCE_CACHE_LIMIT);

/** Instantiates a Resource pattern for this holder: its variables resolved from the holder, wildcards filled. */
function instantiateFor(pattern: string, account: string, filler: string, holder: string): string | undefined {
  const key = `${account}\u0000${filler}\u0000${holder}\u0000${pattern}`;
  if (instances.has(key)) return instances.get(key);
  const substituted = substituteText(pattern, buildLookup(undefined, describePrincipal(holder)), true) ?? pattern;
  const out = instantiateArn(substituted, account, filler);
  remember(instances, key, out);
  return out;
}

/** instantiateFor is a pure function of its arguments; the escalation questions of one policy repeat the same Resource patterns. */
const instances = boundedMap<string, string | undefined>(INSTANCE_CACHE_LIMIT);

const typePrefixes = new Map<ResourceKind, string>();

/** The fixed resource-type prefix of a kind's template (`role/` for iam-role), once per kind. */
function typePrefixOf(kind: ResourceKind): string {
  let prefix = typePrefixes.get(kind);
  if (prefix === undefined) {
    prefix = (parseArn(RESOURCE_TEMPLATES[kind].replace(/\{account\}/g, '1'))?.resource ?? '').split('{')[0] as string;
    typePrefixes.set(kind, prefix);
  }
  return prefix;
}

/** The answer when no statement allows the action (shared, so frozen). */
const NO_GRANT: Grant = Object.freeze({ allowed: false, conditional: false, statements: Object.freeze([]) as unknown as DecidingStatement[] });

/** A witness on an AWS-owned resource is not one the holder could exploit. */
function acceptExploitable(w: Witness): boolean {
  return parseArn(w.resource)?.account !== 'aws';
}

/** {@link acceptExploitable}, and the target is another principal than the holder itself. */
function acceptOther(w: Witness): boolean {
  return acceptExploitable(w) && !(w.principal !== undefined && w.resource === w.principal);
}

export class Capability {
  private readonly policies: NamedPolicy[];
  private readonly options: CapabilityOptions;
  private readonly cache = new Map<string, Grant>();

  constructor(policies: Array<{ name: string; policy: Policy }>, options: CapabilityOptions) {
    this.policies = policies;
    this.options = options;
  }

  private accountsDrawn: string[] | undefined;

  private accountList(): string[] {
    const { accounts } = this.options;
    return (this.accountsDrawn ??= typeof accounts === 'function' ? accounts() : accounts);
  }

  /**
   * False when no Allow statement can match an action of a service it does not name (no `*`,
   * wildcard service or NotAction): then an action of a fresh service, one no policy text contains,
   * is allowed by none. True without an action index (no claim).
   */
  coversAnyService(): boolean {
    const { index } = this.options;
    if (!index) return true;
    this.covered ??= index.coverage((this.policies as Array<{ policy: Policy }>).map((p) => p.policy));
    return this.covered.anyService;
  }

  private readonly allowed = new Map<string, string[]>();

  /** Resource patterns of the Allow statements covering the action (memoised per action; do not modify). */
  private allowResources(action: string): string[] {
    let known = this.allowed.get(action);
    if (!known) this.allowed.set(action, (known = this.readAllowResources(action)));
    return known;
  }

  private readAllowResources(action: string): string[] {
    const out: string[] = [];
    const a = actionRequest(action);
    for (const { policy } of this.policies as Array<{ policy: Policy }>) {
      for (const s of statementsCovering(policy, a, 'Allow')) out.push(...(s.resource ?? []));
    }
    return out;
  }

  private readonly allows = new Map<string, boolean>();

  private covered: Coverage | undefined;

  /**
   * Does any statement allow the action at all (Resource and conditions aside)? A question of the
   * index is a bit of the policies' coverage; another action is asked of the compiled policies
   * (memoised per action) unless no Allow pattern can name its service.
   */
  hasAllow(action: string): boolean {
    const { index } = this.options;
    if (index) {
      this.covered ??= index.coverage((this.policies as Array<{ policy: Policy }>).map((p) => p.policy));
      const id = index.id(action);
      if (id !== undefined) return covers(this.covered, id);
      if (!index.mayCover(this.covered, action)) return false;
    }
    let known = this.allows.get(action);
    if (known === undefined) {
      const a = actionRequest(action);
      known = (this.policies as Array<{ policy: Policy }>).some(({ policy }) => coversAction(policy, a, 'Allow'));
      this.allows.set(action, known);
    }
    return known;
  }

  /** Holders worth trying in an account: the known holder, a fresh user and role, and the users and principals the conditions name. */
  holders(account: string): string[] {
    return [...this.holdersOf(account)];
  }

  /** {@link holders}, memoised per account (the policies do not change and fresh tokens are stable per role); read-only. */
  private holdersOf(account: string): readonly string[] {
    let known = this.holderLists.get(account);
    if (!known) this.holderLists.set(account, (known = this.readHolders(account)));
    return known;
  }

  private readonly holderLists = new Map<string, string[]>();

  private readHolders(account: string): string[] {
    if (this.options.holder) return [this.options.holder];
    const { fresh } = this.options;
    const out = new Set<string>([`arn:aws:iam::${account}:user/${fresh.token('holder')}`, `arn:aws:iam::${account}:role/${fresh.token('holder')}`]);
    for (const { policy } of this.policies as Array<{ policy: Policy }>) {
      for (const s of policy.statements) {
        for (const c of s.conditions) {
          const key = c.key.toLowerCase();
          for (const v of c.values) {
            if (key === 'aws:username' && !/[*?$]/.test(v)) out.add(`arn:aws:iam::${account}:user/${v}`);
            if (key === 'aws:principalarn') {
              const arn = parseArn(instantiatePattern(v, fresh.token('holder')));
              if (arn && (arn.account === account || /[*?]/.test(parseArn(v)?.account ?? ''))) out.add(`arn:${arn.partition}:${arn.service}::${account}:${arn.resource}`);
            }
          }
        }
      }
    }
    return [...out].slice(0, 6);
  }

  private resourcesFor(action: string, kind: ResourceKind, account: string, holder: string, anyOnly: boolean): string[] {
    const { fresh } = this.options;
    const service = action.split(':')[0] ?? 'twfresh';
    const template = fillTemplate(kind, account, fresh.token('target'), kind === 'any' ? fresh.token('service') : service);
    const out = new Set<string>([template]);
    if (anyOnly) return [...out];
    const t = parseArn(template);
    const typePrefix = typePrefixOf(kind);
    for (const pattern of this.allowResources(action)) {
      if (pattern === '*') continue;
      const candidate = instantiateFor(pattern, account, fresh.token('name'), holder);
      const c = candidate ? parseArn(candidate) : undefined;
      if (!c || !t || c.service !== t.service || c.account === 'aws' || !c.resource.startsWith(typePrefix)) continue;
      out.add(candidate as string);
      if (out.size >= 8) break;
    }
    return [...out];
  }

  private readonly memos = new Map<string, { memo: SearchMemo; fixed?: ReadonlyMap<string, readonly Candidate[]> }>();

  /**
   * The witness searches' memo for these policies and this iam:PassedToService set (the only fixed
   * facts `can` gives), with the fixed facts themselves: one of each per set, not per question.
   */
  private memoFor(passedTo: string[] | undefined): { memo: SearchMemo; fixed?: ReadonlyMap<string, readonly Candidate[]> } {
    const key = passedTo === undefined ? '' : `to\u0000${passedTo.join('\u0000')}`;
    let known = this.memos.get(key);
    if (!known) {
      known = passedTo ? { memo: searchMemo(), fixed: new Map([['iam:passedtoservice', passedTo.map((s) => [s])]]) } : { memo: searchMemo() };
      this.memos.set(key, known);
    }
    return known;
  }

  private readonly resourceLists = new Map<string, string[]>();

  /**
   * The candidate resources of every holder, in order, memoised per action, kind, account and
   * anyOnly (the escalation paths ask `iam:PassRole` on roles for many services): the holders of an
   * account are fixed, and a repeated call would request only fresh tokens already drawn. Read-only.
   */
  private resourcesOf(action: string, kind: ResourceKind, account: string, holders: readonly string[], anyOnly: boolean): string[] {
    const key = `${action}\u0000${kind}\u0000${account}\u0000${anyOnly ? 1 : 0}`;
    let known = this.resourceLists.get(key);
    if (!known) {
      // Only a Resource pattern with a policy variable makes a holder's candidates differ from another's
      // (the template and the other instances do not read the holder, and every fresh token a later
      // holder asks for was drawn by the first): without one, the union is the first holder's list.
      const perHolder = !anyOnly && this.allowResources(action).some((p) => p.includes('${'));
      const first = holders[0];
      known = perHolder || first === undefined ? [...new Set(holders.flatMap((h) => this.resourcesFor(action, kind, account, h, anyOnly)))] : this.resourcesFor(action, kind, account, first, anyOnly);
      this.resourceLists.set(key, known);
    }
    return known;
  }

  /** Can the holder do `action` on some exploitable resource of `kind`? Searches for a witness. */
  can(action: string, kind: ResourceKind, opts: CanOptions = {}): Grant {
    // No statement allows the action: nothing to search (the common case for catalogue paths).
    if (!this.hasAllow(action)) return NO_GRANT;
    const key = `${action}|${kind}|${opts.notSelf ? 1 : 0}${opts.anyResourceOnly ? 1 : 0}${opts.exactOnly ? 1 : 0}|${opts.passedTo?.join(',') ?? ''}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    let result: Grant = { allowed: false, conditional: false, statements: [] };
    if (this.hasAllow(action)) {
      const notes: string[] = [];
      const { memo, fixed } = this.memoFor(opts.passedTo);
      const actions = [action];
      for (const account of this.accountList()) {
        const holders = this.holdersOf(account);
        const resources = this.resourcesOf(action, kind, account, holders, opts.anyResourceOnly === true);
        const q: WitnessQuestion = {
          actions,
          principals: holders,
          resources,
          identityPolicies: this.policies,
          fresh: this.options.fresh,
          budget: 1500,
          memo,
          accept: opts.notSelf ? acceptOther : acceptExploitable,
        };
        if (this.options.permissionsBoundary) q.permissionsBoundary = this.options.permissionsBoundary;
        if (opts.exactOnly) q.exactOnly = true;
        if (fixed) q.fixed = fixed;
        const answer = findWitness(q);
        if (answer.witness && answer.result) {
          result = { allowed: true, conditional: answer.conditional, statements: answer.result.deciding, witness: answer.witness };
          break;
        }
        if (answer.undecided) notes.push(answer.undecided);
      }
      if (!result.allowed && notes.length > 0) result = { allowed: true, conditional: true, statements: [], undecided: notes[0] as string };
    }
    this.cache.set(key, result);
    return result;
  }
}
