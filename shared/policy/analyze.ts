import { ActionIndex } from './action-index.ts';
import { parseArn } from './arn.ts';
import { instantiateArn, instantiatePattern } from './candidates.ts';
import { Capability } from './capability.ts';
import type { CanOptions, Grant } from './capability.ts';
import { actionInfo, actionNamesOf } from './catalog.ts';
import { ESCALATION_PATHS } from './escalation-paths.ts';
import type { EscalationPath, EscalationStep, ResourceKind } from './escalation-paths.ts';
import { PolicyParseError } from './errors.ts';
import { providerProfile } from './federated.ts';
import { FreshValues } from './fresh.ts';
import { parsePolicy } from './parse.ts';
import { literalsByKey, partyFacts } from './stranger.ts';
import { matchAction } from './wildcard.ts';
import { findWitness } from './witness.ts';
import type {
  Analysis,
  AnalysisContext,
  DecidingStatement,
  FindingId,
  Policy,
  PolicyFinding,
  PolicyKind,
  PolicySeverity,
  Statement,
  Witness,
} from './types.ts';
import { validatePolicy } from './validate.ts';

const SEVERITY_ORDER: PolicySeverity[] = ['info', 'low', 'medium', 'high', 'critical'];
const lower = (s: PolicySeverity): PolicySeverity => SEVERITY_ORDER[Math.max(0, SEVERITY_ORDER.indexOf(s) - 1)] as PolicySeverity;
/** The most severe of the findings' severities (`info` for none). */
function worst(findings: readonly PolicyFinding[]): PolicySeverity {
  let out: PolicySeverity = 'info';
  for (let i = 0; i < findings.length; i++) {
    const b = (findings[i] as PolicyFinding).severity;
    if (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(out)) out = b;
  }
  return out;
}

/** A finding before diffing: `items` are the comparable facts (paths, accounts, actions) the message is built from. */
interface Draft {
  id: FindingId;
  severity: PolicySeverity;
  items: string[];
  statements: PolicyFinding['statements'];
  message(items: string[]): string;
  detail?(items: string[]): Record<string, unknown>;
  /** Per item, the allowed requests it rests on. */
  witnesses?: Map<string, Witness[]>;
  undecided?: string[];
}

/** Sensitive actions that, together with "any action", mean effectively administrator access. */
const ADMIN_ACTIONS: Array<[string, ResourceKind]> = [
  ['iam:CreateUser', 'iam-user'],
  ['iam:PutRolePolicy', 'iam-role'],
  ['iam:AttachUserPolicy', 'iam-user'],
  ['ec2:RunInstances', 'ec2-instance'],
  ['lambda:UpdateFunctionCode', 'lambda-function'],
];

/** Read-data actions that matter when granted on every resource. */
const DATA_ACTIONS: Array<[string, ResourceKind]> = [
  ['s3:GetObject', 's3-object'],
  ['secretsmanager:GetSecretValue', 'secret'],
  ['kms:Decrypt', 'kms-key'],
  ['ssm:GetParameter', 'ssm-parameter'],
  ['ssm:GetParameters', 'ssm-parameter'],
  ['ssm:GetParametersByPath', 'ssm-parameter'],
  ['dynamodb:Scan', 'dynamodb-table'],
  ['dynamodb:GetItem', 'dynamodb-table'],
  ['sqs:ReceiveMessage', 'sqs-queue'],
  ['ec2:GetPasswordData', 'ec2-instance'],
];

/** Every action the identity questions ask about by name: "does anything allow it" is a bit per policy. */
const QUESTIONS = new ActionIndex([
  ...ADMIN_ACTIONS.map(([a]) => a),
  ...ESCALATION_PATHS.flatMap((p) => p.steps.flatMap((s) => s.anyOf)),
  ...DATA_ACTIONS.map(([a]) => a),
  'iam:PassRole',
]);

/**
 * Service principals whose service-role documentation asks for `aws:SourceAccount`/`aws:SourceArn`
 * in the ROLE TRUST policy (cross-service confused-deputy prevention). Other services (EC2, Lambda,
 * ECS tasks…) assume roles in flows that carry no source keys, so their trust is not judged.
 */
const TRUST_DEPUTY_SERVICES = new Set([
  'scheduler.amazonaws.com',
  'pipes.amazonaws.com',
  'bedrock.amazonaws.com',
  'transfer.amazonaws.com',
  'datasync.amazonaws.com',
  'states.amazonaws.com',
]);

const RESOURCE_KINDS = new Set<PolicyKind>(['resource', 's3-bucket', 'kms-key', 'trust']);
const NO_GRANT_KINDS = new Set<PolicyKind>(['scp', 'rcp']);

function refs(statements: DecidingStatement[]): PolicyFinding['statements'] {
  const seen = new Set<string>();
  const out: PolicyFinding['statements'] = [];
  for (const s of statements) {
    if (s.role !== 'identity' && s.role !== 'resource') continue;
    const key = `${s.policy}#${s.statement}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const ref: PolicyFinding['statements'][number] = { index: s.statement, policy: s.policy };
    if (s.sid !== undefined) ref.sid = s.sid;
    out.push(ref);
  }
  return out;
}

function statementRef(s: Statement, policy: string): PolicyFinding['statements'][number] {
  const ref: PolicyFinding['statements'][number] = { index: s.index, policy };
  if (s.sid !== undefined) ref.sid = s.sid;
  return ref;
}

/** Guesses the kind when the caller did not say: Principal means resource/trust, else identity. */
export function inferKind(policy: Policy): PolicyKind {
  const withPrincipal = policy.statements.filter((s) => s.principal || s.notPrincipal);
  if (withPrincipal.length === 0) return 'identity';
  const trustOnly = withPrincipal.every((s) => (s.action ?? []).length > 0 && (s.action ?? []).every((a) => /^sts:(assumerole|tagsession|setsourceidentity|setcontext)/i.test(a)));
  return trustOnly ? 'trust' : 'resource';
}

/** The holder's accounts: the owner (or a fresh account when unknown) and the accounts the Resources name. */
function holderAccounts(policies: Policy[], context: AnalysisContext, fresh: FreshValues): string[] {
  const accounts = new Set<string>([context.account ?? fresh.account('holder', context.zoneOfTrust?.trustedAccounts ?? [])]);
  for (const p of policies) {
    for (const s of p.statements) {
      for (const r of s.resource ?? []) {
        const a = parseArn(r)?.account;
        if (a && /^\d{12}$/.test(a)) accounts.add(a);
      }
    }
  }
  return [...accounts].slice(0, 4);
}

/*
 * The helpers below are loops rather than chains of array builtins (map/filter/spread/reduce): the
 * arrays they see are of two element kinds (empty or not), and in a chain each builtin's feedback in
 * the caller kept changing after the first pass over a corpus, deoptimising the analysis in later passes.
 */

/** The grants' witnesses, in order. */
function witnessList(grants: readonly Grant[]): Witness[] {
  const out: Witness[] = [];
  for (let i = 0; i < grants.length; i++) {
    const w = (grants[i] as Grant).witness;
    if (w !== undefined) out.push(w);
  }
  return out;
}

/** The grants' distinct `undecided` notes, in order of first appearance. */
function undecidedList(grants: readonly Grant[]): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < grants.length; i++) {
    const u = (grants[i] as Grant).undecided;
    if (u !== undefined) seen.add(u);
  }
  return [...seen];
}

/** No other policies (the usual case): one shared empty list. */
const NO_POLICIES: readonly Policy[] = Object.freeze([]);

/** The `can` options of each escalation step, made once per step (the loop asks them for every policy). */
const STEP_OPTIONS = new WeakMap<EscalationStep, CanOptions>();

function stepOptions(step: EscalationStep): CanOptions {
  let known = STEP_OPTIONS.get(step);
  if (!known) STEP_OPTIONS.set(step, (known = { ...(step.notSelf ? { notSelf: true } : {}), ...(step.passedTo ? { passedTo: step.passedTo } : {}) }));
  return known;
}

/** Some action of the list is allowed by some statement at all (Resource and conditions aside). */
function anyAllowed(cap: Capability, actions: readonly string[]): boolean {
  for (let i = 0; i < actions.length; i++) if (cap.hasAllow(actions[i] as string)) return true;
  return false;
}

/**
 * The grant of each step of the path (the first allowed action of the step), or undefined at the
 * first step none of whose actions is allowed. Index loops: the 60 paths are asked of every policy,
 * and a for-of allocates an iterator result per element in code not optimised yet.
 *
 * Every step is first given the cheap test (does any statement allow one of its actions at all),
 * before any search: a path whose later step fails it is undefined whatever the earlier steps'
 * searches find, so they are not run (most paths begin with an `iam:PassRole` step, asked once per
 * `iam:PassedToService` set). Skipping a search cannot change another answer: `can` results and
 * the search memos are pure per analysis, and the fresh tokens a search draws are, in every search,
 * a prefix of the same order (service, holder, target, name), so each token keeps its value.
 */
function pathGrants(cap: Capability, path: EscalationPath): Grant[] | undefined {
  // Cheap test first, for every step before any search: a step none of whose actions any statement
  // allows rules the whole path out, so the searches of the steps before it are not needed.
  for (let si = 0; si < path.steps.length; si++) if (!anyAllowed(cap, (path.steps[si] as EscalationStep).anyOf)) return undefined;
  const grants: Grant[] = [];
  for (let si = 0; si < path.steps.length; si++) {
    const step = path.steps[si] as EscalationStep;
    const opts = stepOptions(step);
    let g: Grant | undefined;
    for (let ai = 0; ai < step.anyOf.length; ai++) {
      const x = cap.can(step.anyOf[ai] as string, step.resource, opts);
      if (x.allowed) {
        g = x;
        break;
      }
    }
    if (!g) return undefined;
    grants.push(g);
  }
  return grants;
}

/** The options of the wildcard data-access questions (`can` reads them, never keeps or changes them). */
const DATA_OPTIONS: CanOptions = Object.freeze({ anyResourceOnly: true });

/** Identity-side findings: admin, escalation paths, data access, PassRole. */
function identityDrafts(policies: Array<{ name: string; policy: Policy }>, context: AnalysisContext, fresh: FreshValues, boundary?: Policy): Draft[] {
  const drafts: Draft[] = [];
  const holder = context.attachedTo && /^arn:[^:]+:iam::\d{12}:(user|role)\//.test(context.attachedTo) ? context.attachedTo : undefined;
  const cap = new Capability(policies, {
    accounts: holder ? [parseArn(holder)?.account as string] : () => holderAccounts(policies.map((p) => p.policy), context, fresh),
    fresh,
    index: QUESTIONS,
    ...(holder ? { holder } : {}),
    ...(boundary ? { permissionsBoundary: { name: 'boundary', policy: boundary } } : {}),
  });

  // "Any action": an action of a service no policy names (a fresh token). When no Allow statement can
  // match an action of an unnamed service, none allows it, whatever the token: it is drawn (in its
  // place in the order of tokens) only if a later question needs one.
  fresh.reserve('service');
  let any: Grant = { allowed: false, conditional: false, statements: [] };
  if (cap.coversAnyService()) {
    const service = fresh.token('service');
    any = cap.can(`${service}:${service}`, 'any');
  }
  const admin: Grant[] = [any];
  for (const [action, kind] of ADMIN_ACTIONS) admin.push(cap.can(action, kind));
  if (admin.every((g) => g.allowed)) {
    const conditional = admin.some((g) => g.conditional);
    drafts.push({
      id: 'admin-access',
      severity: conditional ? 'high' : 'critical',
      items: ['all-actions'],
      statements: refs(admin.flatMap((g) => g.statements)),
      message: () => `Grants effectively all actions on all resources (administrator access)${conditional ? ' when its conditions hold' : ''}.`,
      witnesses: new Map([['all-actions', witnessList(admin)]]),
      undecided: undecidedList(admin),
    });
  }

  const found: Array<{ path: EscalationPath; grants: Grant[] }> = [];
  for (let i = 0; i < ESCALATION_PATHS.length; i++) {
    const path = ESCALATION_PATHS[i] as EscalationPath;
    const grants = pathGrants(cap, path);
    if (grants) found.push({ path, grants });
  }
  if (found.length > 0) {
    const byName = new Map(found.map((f) => [f.path.name, f]));
    const isConditional = (f: { path: EscalationPath; grants: Grant[] }): boolean => f.path.needs !== undefined || f.grants.some((g) => g.conditional);
    const allConditional = found.every(isConditional);
    drafts.push({
      id: 'privilege-escalation',
      severity: allConditional ? 'medium' : 'high',
      items: found.map((f) => f.path.name),
      statements: refs(found.flatMap((f) => f.grants.flatMap((g) => g.statements))),
      message: (items) => {
        const first = byName.get(items[0] as string);
        const more = items.length > 1 ? ` (and ${items.length - 1} more path${items.length > 2 ? 's' : ''}: ${items.slice(1, 4).join('; ')}${items.length > 4 ? '; …' : ''})` : '';
        const needs = first?.path.needs ? ` (needs ${first.path.needs})` : '';
        return `Allows privilege escalation via ${items[0]}: ${first?.path.how ?? ''}${needs}${more}.`;
      },
      detail: (items) => ({
        paths: items.map((name) => {
          const f = byName.get(name);
          return { id: f?.path.id, name, how: f?.path.how, conditional: f ? isConditional(f) : false, ...(f?.path.needs ? { needs: f.path.needs } : {}), witnesses: witnessList(f?.grants ?? []) };
        }),
      }),
      witnesses: new Map(found.map((f) => [f.path.name, witnessList(f.grants)])),
      undecided: undecidedList(found.flatMap((f) => f.grants)),
    });
  }

  const data: Array<[string, Grant]> = [];
  for (const [action, kind] of DATA_ACTIONS) {
    const g = cap.can(action, kind, DATA_OPTIONS);
    if (g.allowed) data.push([action, g]);
  }
  if (data.length > 0) {
    const conditional = data.every(([, g]) => g.conditional);
    drafts.push({
      id: 'data-access-wildcard',
      severity: conditional ? 'low' : 'medium',
      items: data.map(([a]) => a),
      statements: refs(data.flatMap(([, g]) => g.statements)),
      message: (items) => `Allows reading data on every resource of its kind: ${items.join(', ')}${conditional ? ' (when its conditions hold)' : ''}.`,
      witnesses: new Map(data.map(([a, g]) => [a, witnessList([g])])),
      undecided: undecidedList(data.map(([, g]) => g)),
    });
  }

  // PassRole on every role, without a condition restricting the service it is passed to.
  const passRole = cap.can('iam:PassRole', 'iam-role', { anyResourceOnly: true, exactOnly: true });
  if (passRole.allowed && !passRole.undecided) {
    drafts.push({
      id: 'passrole-wildcard',
      severity: 'medium',
      items: ['iam:PassRole'],
      statements: refs(passRole.statements),
      message: () => 'Allows iam:PassRole on every role, with no iam:PassedToService condition: any service can be handed any role.',
      witnesses: new Map([['iam:PassRole', witnessList([passRole])]]),
    });
  }
  return drafts;
}

function describeActions(s: Statement): string {
  const list = s.action ?? [];
  return list.length > 3 ? `${list.slice(0, 3).join(', ')} and ${list.length - 3} more` : list.join(', ') || 'actions';
}

/** Actions worth trying for a statement: its literal actions, real actions its patterns match, each pattern instantiated. */
function actionCandidates(s: Statement, fresh: FreshValues): string[] {
  const service = fresh.token('service');
  const out = new Set<string>();
  for (const pattern of s.action ?? []) {
    if (pattern === '*' || !pattern.includes(':')) {
      out.add(`${service}:${service}`);
      continue;
    }
    if (!/[*?]/.test(pattern)) {
      out.add(pattern);
      continue;
    }
    const [prefix, name] = pattern.split(':') as [string, string];
    for (const a of actionNamesOf(prefix).filter((x) => matchAction(name, x)).slice(0, 2)) out.add(`${prefix}:${a}`);
    out.add(instantiatePattern(pattern, service));
  }
  if (s.notAction) out.add(`${service}:${service}`);
  return [...out].slice(0, 6);
}

/** Resources worth trying for a statement of a resource policy owned by `owner`. */
function resourceCandidates(s: Statement, owner: string, fresh: FreshValues, roleArn: string, actions: string[]): string[] {
  const token = fresh.token('target');
  if (!s.resource && !s.notResource) return [roleArn];
  const service = (actions[0] ?? 's3:x').split(':')[0] as string;
  const out = new Set<string>();
  for (const pattern of s.resource ?? []) {
    if (pattern === '*') out.add(service === 's3' ? `arn:aws:s3:::${token}/${token}` : `arn:aws:${service}:us-east-1:${owner}:${token}`);
    else {
      const arn = instantiateArn(pattern.replace(/\$\{[^}]*\}/g, token), owner, token);
      if (arn) out.add(arn);
    }
  }
  if (s.notResource) out.add(`arn:aws:${service}:us-east-1:${owner}:${token}`);
  return [...out].slice(0, 6);
}

/**
 * Does a public statement expose data or control (critical), or only metadata (high)? Wildcard
 * actions, NotAction, write / permissions-management actions, role assumption and the data-read
 * actions count; `List`/`Read` metadata such as s3:GetBucketAcl does not. Unknown actions (or no
 * catalogue) count, failing safe.
 */
function exposesDataOrControl(s: Statement): boolean {
  if (!s.action) return true;
  return s.action.some((a) => {
    if (a.includes('*') || a.includes('?') || !a.includes(':')) return true;
    if (DATA_ACTIONS.some(([d]) => d.toLowerCase() === a.toLowerCase()) || /^sts:assumerole/i.test(a)) return true;
    const [service, name] = a.split(':') as [string, string];
    const info = actionInfo(service, name);
    return !info?.accessLevel || !(info.accessLevel === 'List' || info.accessLevel === 'Read');
  });
}

/** 12-digit accounts an Allow statement names: in Principal and in literal account/ARN conditions. */
function namedAccounts(s: Statement): string[] {
  const out = new Set<string>();
  const add = (value: string): void => {
    const account = /^\d{12}$/.test(value) ? value : parseArn(value)?.account;
    if (account && /^\d{12}$/.test(account)) out.add(account);
  };
  for (const v of s.principal?.['AWS'] ?? []) add(v);
  for (const c of s.conditions) {
    if (/not/i.test(c.operator)) continue;
    const k = c.key.toLowerCase();
    if (['aws:principalaccount', 'aws:principalarn', 'aws:sourceaccount', 'aws:sourceowner', 'kms:calleraccount'].includes(k)) {
      for (const v of c.values) if (!/[*?]/.test(v)) add(v);
    }
  }
  return [...out];
}

interface ResourceHit {
  s: Statement;
  who: string;
  witness?: Witness;
  undecided?: string;
}

/** Resource-side findings: open to the world or to any identity of a provider, foreign accounts, confused deputies. */
function resourceDrafts(policy: Policy, name: string, kind: PolicyKind, context: AnalysisContext, fresh: FreshValues): Draft[] {
  const drafts: Draft[] = [];
  const zone = context.zoneOfTrust ?? {};
  const trusted = new Set(zone.trustedAccounts ?? []);
  const owner = context.account ?? fresh.account('owner', trusted);
  const ownerOrg = zone.organizationId ?? fresh.org('owner');
  const named = new Set(policy.statements.filter((s) => s.effect === 'Allow').flatMap(namedAccounts));
  const stranger = fresh.account('stranger', [owner, ...trusted, ...named]);
  const excluded = new Set([owner, ...trusted, ...named]);
  const token = fresh.token('stranger');
  const resourcePolicy = { name, policy };
  const roleArn = context.attachedTo ?? `arn:aws:iam::${owner}:role/${fresh.token('role')}`;
  const literals = literalsByKey(policy);
  const publicHits: ResourceHit[] = [];
  const broadFederated: ResourceHit[] = [];
  const deputies: ResourceHit[] = [];

  for (const s of policy.statements) {
    if (s.effect !== 'Allow') continue;
    const actions = actionCandidates(s, fresh);
    const resources = resourceCandidates(s, owner, fresh, roleArn, actions);
    const accept = (_w: Witness, r: { deciding: DecidingStatement[] }): boolean => r.deciding.some((d) => d.role === 'resource' && d.statement === s.index);
    const common = { actions, resources, resourceAccount: owner, resourcePolicy, resourcePolicyRequired: true, fresh, accept };

    const awsSide = s.notPrincipal !== undefined || s.principal?.['*'] !== undefined || s.principal?.['AWS'] !== undefined;
    if (awsSide) {
      const patterns = [...(literals.get('aws:principalarn') ?? [])].filter((v) => /[*?]/.test(v));
      const principals: Array<string | undefined> = [
        undefined,
        `arn:aws:iam::${stranger}:user/${token}`,
        `arn:aws:sts::${stranger}:assumed-role/${token}/${token}`,
        ...patterns.map((p) => instantiateArn(p, stranger, token)).filter((p): p is string => p !== undefined && parseArn(p)?.account === stranger),
      ];
      const answer = findWitness({ ...common, principals, callerAdmin: true, fixed: partyFacts({ policy, fresh, account: stranger, owner, ownerOrg, excluded }) });
      if (answer.witness) publicHits.push({ s, who: answer.witness.principal ? 'any AWS account' : 'anonymous users', witness: answer.witness });
      else if (answer.undecided) publicHits.push({ s, who: 'possibly anyone', undecided: answer.undecided });
    }
    for (const provider of s.principal?.['Federated'] ?? []) {
      const profile = providerProfile(provider);
      if (!profile) continue;
      const answer = findWitness({ ...common, principals: [provider], fixed: partyFacts({ policy, fresh, account: stranger, owner, ownerOrg, excluded, provider: profile }) });
      const hit: ResourceHit | undefined = answer.witness
        ? { s, who: `any identity of ${profile.label}`, witness: answer.witness }
        : answer.undecided
          ? { s, who: `possibly any identity of ${profile.label}`, undecided: answer.undecided }
          : undefined;
      if (hit) (profile.multiTenant ? publicHits : broadFederated).push(hit);
    }
    for (const service of s.principal?.['Service'] ?? []) {
      if (kind === 'trust' && !TRUST_DEPUTY_SERVICES.has(service.toLowerCase())) continue;
      const facts = partyFacts({ policy, fresh, account: stranger, owner, ownerOrg, excluded });
      // A service acting for another account says so: the source keys are present and name that account.
      for (const k of ['aws:sourceaccount', 'aws:sourceowner']) facts.set(k, [[stranger]]);
      for (const [k, v] of facts) if (k === 'aws:sourcearn' || k.startsWith('kms:encryptioncontext:')) facts.set(k, v.filter((x) => x !== undefined));
      if (!facts.has('aws:sourcearn')) facts.set('aws:sourcearn', [[`arn:aws:s3:::${token}`]]);
      const answer = findWitness({ ...common, principals: [service], fixed: facts });
      if (answer.witness) deputies.push({ s, who: service, witness: answer.witness });
    }
  }

  const hitWitnesses = (hits: ResourceHit[], item: (h: ResourceHit) => string): Map<string, Witness[]> =>
    new Map(hits.map((h) => [item(h), h.witness ? [h.witness] : []]));
  const hitUndecided = (hits: ResourceHit[]): string[] => [...new Set(hits.map((h) => h.undecided).filter((u): u is string => u !== undefined))];

  if (publicHits.length > 0) {
    const item = (h: ResourceHit): string => `${h.s.index}:${describeActions(h.s)}`;
    drafts.push({
      id: 'public-access',
      severity: publicHits.some((h) => exposesDataOrControl(h.s)) ? 'critical' : 'high',
      items: [...new Set(publicHits.map(item))],
      statements: publicHits.map((h) => statementRef(h.s, name)),
      message: () => {
        const h = publicHits[0] as ResourceHit;
        const what = kind === 'trust' ? 'assume this role' : `call ${describeActions(h.s)}`;
        return `Open to ${h.who}: statement ${h.s.index}${h.s.sid ? ` "${h.s.sid}"` : ''} lets them ${what} with no condition pinning it to accounts, an organization, a VPC, a source ARN or (for federated identities) a subject.`;
      },
      witnesses: hitWitnesses(publicHits, item),
      undecided: hitUndecided(publicHits),
    });
  }
  if (broadFederated.length > 0) {
    const item = (h: ResourceHit): string => `${h.s.index}:${h.who}`;
    drafts.push({
      id: 'broad-federated-trust',
      severity: 'medium',
      items: [...new Set(broadFederated.map(item))],
      statements: broadFederated.map((h) => statementRef(h.s, name)),
      message: (items) => `Open to ${broadFederated[0]?.who}: no condition pins the caller's subject or audience${items.length > 1 ? ` (and ${items.length - 1} more)` : ''}.`,
      witnesses: hitWitnesses(broadFederated, item),
      undecided: hitUndecided(broadFederated),
    });
  }
  if (deputies.length > 0) {
    const item = (h: ResourceHit): string => `${h.s.index}:${h.who}`;
    drafts.push({
      id: 'confused-deputy',
      severity: 'low',
      items: [...new Set(deputies.map(item))],
      statements: deputies.map((h) => statementRef(h.s, name)),
      message: () => {
        const services = [...new Set(deputies.map((h) => h.who))].join(', ');
        return `Lets ${services} act for any account: no aws:SourceAccount / aws:SourceArn condition, so another account's resources can make the service use this grant (confused deputy).`;
      },
      witnesses: hitWitnesses(deputies, item),
    });
  }

  // Cross-account: named accounts outside the zone of trust that some request from that account reaches.
  const foreign = new Map<string, { statements: Statement[]; witness: Witness }>();
  const noExternalId: Statement[] = [];
  const orgs = [...new Set([...(literals.get('aws:principalorgid') ?? [])].filter((o) => !/[*?]/.test(o) && o !== zone.organizationId))];
  for (const account of named) {
    if (account === owner || trusted.has(account)) continue;
    for (const s of policy.statements) {
      if (s.effect !== 'Allow' || !namedAccounts(s).includes(account)) continue;
      const actions = actionCandidates(s, fresh);
      const principals = [
        `arn:aws:iam::${account}:role/${token}`,
        ...(s.principal?.['AWS'] ?? []).filter((v) => parseArn(v)?.account === account && parseArn(v)?.resource !== 'root'),
      ];
      const answer = findWitness({
        actions,
        principals,
        resources: resourceCandidates(s, owner, fresh, roleArn, actions),
        resourceAccount: owner,
        resourcePolicy,
        resourcePolicyRequired: true,
        callerAdmin: true,
        fresh,
        fixed: partyFacts({ policy, fresh, account, owner, ownerOrg, excluded: new Set([owner, ...trusted]), orgs }),
        accept: (_w, r) => r.deciding.some((d) => d.role === 'resource' && d.statement === s.index),
      });
      if (!answer.witness) continue;
      const entry = foreign.get(account);
      if (entry) entry.statements.push(s);
      else foreign.set(account, { statements: [s], witness: answer.witness });
      const hasExternalId = s.conditions.some((c) => c.key.toLowerCase() === 'sts:externalid' && !/not/i.test(c.operator));
      if (kind === 'trust' && !hasExternalId && !noExternalId.includes(s)) noExternalId.push(s);
    }
  }
  if (foreign.size > 0) {
    const accounts = [...foreign.keys()];
    const statements = [...new Set([...foreign.values()].flatMap((f) => f.statements))];
    drafts.push({
      id: 'cross-account-access',
      // Medium either way: whether the other account is a third party (where sts:ExternalId matters)
      // or a sibling in the same organization is not in the policy; the message says what is missing.
      severity: 'medium',
      items: accounts,
      statements: statements.map((s) => statementRef(s, name)),
      message: (items) => {
        const who = context.account ? `foreign account${items.length > 1 ? 's' : ''}` : `account${items.length > 1 ? 's' : ''} (owner unknown, may be foreign)`;
        const verb = kind === 'trust' ? 'can assume this role' : 'are granted access';
        const ext = noExternalId.length > 0 ? '; the trust has no sts:ExternalId condition (confused-deputy risk for third parties)' : '';
        return `The ${who} ${items.join(', ')} ${verb}${ext}.`;
      },
      detail: (items) => ({ accounts: items, missingExternalId: noExternalId.length > 0 }),
      witnesses: new Map([...foreign.entries()].map(([a, f]) => [a, [f.witness]])),
    });
  }
  return drafts;
}

/** Structural findings on NotAction / NotResource Allow statements. */
function structuralDrafts(policy: Policy, name: string, kind: PolicyKind): Draft[] {
  const drafts: Draft[] = [];
  if (NO_GRANT_KINDS.has(kind)) return drafts;
  for (const s of policy.statements) {
    if (s.effect !== 'Allow') continue;
    if (s.notAction) {
      const everywhere = (s.resource ?? []).includes('*');
      drafts.push({
        id: 'notaction-allow',
        severity: everywhere && s.conditions.length === 0 ? 'high' : 'medium',
        items: [`${s.index}:${s.notAction.join(',')}`],
        statements: [statementRef(s, name)],
        message: () => `Statement ${s.index}${s.sid ? ` "${s.sid}"` : ''} allows every action except ${s.notAction?.join(', ')}${everywhere ? ' on all resources' : ''}, including actions AWS adds later.`,
      });
    }
    if (s.notResource) {
      drafts.push({
        id: 'notresource-allow',
        severity: 'medium',
        items: [`${s.index}:${s.notResource.join(',')}`],
        statements: [statementRef(s, name)],
        message: () => `Statement ${s.index}${s.sid ? ` "${s.sid}"` : ''} allows ${describeActions(s)} on every resource except ${s.notResource?.join(', ')}.`,
      });
    }
  }
  return drafts;
}

function parseOrNull(input: unknown): Policy | undefined {
  try {
    return parsePolicy(input).policy;
  } catch (error) {
    if (error instanceof PolicyParseError) return undefined;
    throw error;
  }
}

function draftsFor(policy: Policy, kind: PolicyKind, context: AnalysisContext, others: readonly Policy[], fresh: FreshValues, boundary?: Policy): Draft[] {
  const name = 'policy';
  const drafts: Draft[] = [];
  if (RESOURCE_KINDS.has(kind)) drafts.push(...resourceDrafts(policy, name, kind, context, fresh));
  else if (!NO_GRANT_KINDS.has(kind)) {
    const set = [{ name, policy }, ...others.map((p, i) => ({ name: `other-${i + 1}`, policy: p }))];
    drafts.push(...identityDrafts(set, context, fresh, boundary));
  }
  drafts.push(...structuralDrafts(policy, name, kind));
  return drafts;
}

/**
 * Analyzes a policy into findings a human can act on: administrator access, named privilege-
 * escalation paths, public and cross-account access, wildcard data access, PassRole on every role,
 * NotAction/NotResource allows, invalid policies and unknown actions. Every grant is decided by
 * the evaluator (Denies, conditions and NotAction honoured). With `context.previous`, only what the
 * new version NEWLY grants is reported. Never throws on bad input: it becomes `invalid-policy`.
 */
export function analyze(input: unknown, context: AnalysisContext = {}): Analysis {
  const validation = validatePolicy(input, context.kind ? { kind: context.kind } : {});
  const findings: PolicyFinding[] = [];
  const issues = validation.issues;
  const errors = issues.filter((i) => i.level === 'error');
  if (errors.length > 0) {
    const first = errors[0] as (typeof errors)[number];
    findings.push({
      id: 'invalid-policy',
      severity: 'medium',
      message: `The policy is invalid: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''}.`,
      statements: [...new Set(errors.map((e) => e.statement).filter((i): i is number => i !== undefined))].map((index) => ({ index })),
      detail: { errors: errors.map((e) => ({ code: e.code, message: e.message })) },
    });
  }
  const unknown = issues.filter((i) => i.code === 'unknown-action' || i.code === 'unknown-service');
  if (unknown.length > 0) {
    findings.push({
      id: 'unknown-action',
      severity: 'low',
      message: `Names actions AWS does not have (typo or removed action, so the statement does less than intended): ${unknown.slice(0, 5).map((u) => u.message.replace(/^unknown (action|service prefix) /, '')).join('; ')}.`,
      statements: [...new Set(unknown.map((e) => e.statement).filter((i): i is number => i !== undefined))].map((index) => ({ index })),
    });
  }
  const policy = validation.policy;
  if (!policy) return { findings, severity: worst(findings), issues, comparedWithPrevious: false };
  const kind = context.kind ?? inferKind(policy);
  const others = context.otherPolicies === undefined || context.otherPolicies.length === 0 ? NO_POLICIES : context.otherPolicies.map(parseOrNull).filter((p): p is Policy => p !== undefined);
  const boundary = context.permissionsBoundary !== undefined ? parseOrNull(context.permissionsBoundary) : undefined;
  const previous = context.previous !== undefined && context.previous !== null ? parseOrNull(context.previous) : undefined;
  const zone = context.zoneOfTrust ?? {};
  // Fresh values avoid every text involved: the policies, the owner and the zone of trust.
  const texts: Policy[] = [policy];
  for (const o of others) texts.push(o);
  if (boundary) texts.push(boundary);
  if (previous) texts.push(previous);
  const fresh = new FreshValues(
    texts,
    [context.account ?? '', context.attachedTo ?? '', zone.organizationId ?? '', ...(zone.trustedAccounts ?? [])],
  );
  let drafts: Draft[];
  try {
    drafts = draftsFor(policy, kind, context, others, fresh, boundary);
  } catch (error) {
    // Defensive: the engine must never take the detection down; say why the policy was not judged.
    findings.push({
      id: 'invalid-policy',
      severity: 'medium',
      message: `The policy could not be analysed: ${(error as Error).message}.`,
      statements: [],
    });
    return { findings, severity: worst(findings), issues, comparedWithPrevious: false };
  }

  let compared = false;
  if (context.previous !== undefined && context.previous !== null) {
    if (previous) {
      compared = true;
      let before: Draft[] = [];
      try {
        before = draftsFor(previous, kind, context, others, fresh, boundary);
      } catch {
        before = [];
      }
      const seen = new Map<FindingId, Set<string>>();
      for (const d of before) seen.set(d.id, new Set([...(seen.get(d.id) ?? []), ...d.items]));
      drafts = drafts
        .map((d) => ({ ...d, items: d.items.filter((i) => !(seen.get(d.id)?.has(i) ?? false)) }))
        .filter((d) => d.items.length > 0);
    }
  }
  for (const d of drafts) {
    const f: PolicyFinding = { id: d.id, severity: d.severity, message: d.message(d.items), statements: d.statements };
    const detail = d.detail?.(d.items);
    if (detail) f.detail = detail;
    if (d.witnesses) {
      const witnesses = d.items.flatMap((i) => d.witnesses?.get(i) ?? []);
      if (witnesses.length > 0) f.witnesses = witnesses;
    }
    if (d.undecided && d.undecided.length > 0) {
      f.undecided = d.undecided;
      f.message = `${f.message} (${d.undecided.join('; ')}: reported to be safe)`;
    }
    if (compared) f.message = `Newly: ${f.message}`;
    findings.push(f);
  }
  return { findings, severity: worst(findings), issues, comparedWithPrevious: compared };
}

export { lower as lowerSeverity };
