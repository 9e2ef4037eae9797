import { parseArn } from './arn.ts';
import { actionInfo } from './catalog.ts';
import { evaluate } from './evaluate.ts';
import { ESCALATION_PATHS } from './escalation-paths.ts';
import type { EscalationPath, ProbeKind } from './escalation-paths.ts';
import { PolicyParseError } from './errors.ts';
import { parsePolicy } from './parse.ts';
import { Capability, PROBE_ACCOUNT } from './probes.ts';
import type { Grant } from './probes.ts';
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
} from './types.ts';
import { validatePolicy } from './validate.ts';

const SEVERITY_ORDER: PolicySeverity[] = ['info', 'low', 'medium', 'high', 'critical'];
const lower = (s: PolicySeverity): PolicySeverity => SEVERITY_ORDER[Math.max(0, SEVERITY_ORDER.indexOf(s) - 1)] as PolicySeverity;
const worst = (list: PolicySeverity[]): PolicySeverity =>
  list.reduce<PolicySeverity>((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a), 'info');

/** A finding before diffing: `items` are the comparable facts (paths, accounts, actions) the message is built from. */
interface Draft {
  id: FindingId;
  severity: PolicySeverity;
  items: string[];
  statements: PolicyFinding['statements'];
  message(items: string[]): string;
  detail?(items: string[]): Record<string, unknown>;
}

/** Sensitive actions that, together with "any action", mean effectively administrator access. */
const ADMIN_PROBES: Array<[string, ProbeKind]> = [
  ['trailwatchprobe:AnyAction', 'any'],
  ['iam:CreateUser', 'iam-user'],
  ['iam:PutRolePolicy', 'iam-role'],
  ['iam:AttachUserPolicy', 'iam-user'],
  ['ec2:RunInstances', 'ec2-instance'],
  ['lambda:UpdateFunctionCode', 'lambda-function'],
];

/** Read-data actions that matter when granted on every resource. */
const DATA_ACTIONS: Array<[string, string]> = [
  ['s3:GetObject', 'arn:aws:s3:::trailwatch-probe-bucket/trailwatch-probe-object'],
  ['secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:{account}:secret:trailwatch-probe-AbCdEf'],
  ['kms:Decrypt', 'arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000'],
  ['ssm:GetParameter', 'arn:aws:ssm:us-east-1:{account}:parameter/trailwatch-probe'],
  ['ssm:GetParameters', 'arn:aws:ssm:us-east-1:{account}:parameter/trailwatch-probe'],
  ['ssm:GetParametersByPath', 'arn:aws:ssm:us-east-1:{account}:parameter/trailwatch-probe'],
  ['dynamodb:Scan', 'arn:aws:dynamodb:us-east-1:{account}:table/trailwatch-probe'],
  ['dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:{account}:table/trailwatch-probe'],
  ['sqs:ReceiveMessage', 'arn:aws:sqs:us-east-1:{account}:trailwatch-probe'],
  ['ec2:GetPasswordData', 'arn:aws:ec2:us-east-1:{account}:instance/i-trailwatchprobe'],
];

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

function accountsIn(policies: Policy[], context: AnalysisContext): string[] {
  const accounts = new Set<string>();
  if (context.account) accounts.add(context.account);
  for (const p of policies) {
    for (const s of p.statements) {
      for (const r of s.resource ?? []) {
        const a = parseArn(r)?.account;
        if (a && /^\d{12}$/.test(a)) accounts.add(a);
      }
    }
  }
  if (accounts.size === 0) accounts.add(PROBE_ACCOUNT);
  return [...accounts];
}

/** Identity-side findings: admin, escalation paths, data access, PassRole. */
function identityDrafts(policies: Array<{ name: string; policy: Policy }>, context: AnalysisContext): Draft[] {
  const drafts: Draft[] = [];
  const accounts = accountsIn(policies.map((p) => p.policy), context);
  const cap = new Capability(policies, accounts);

  const admin = ADMIN_PROBES.map(([action, kind]) => cap.can(action, kind));
  if (admin.every((g) => g.allowed)) {
    const conditional = admin.some((g) => g.conditional);
    drafts.push({
      id: 'admin-access',
      severity: conditional ? 'high' : 'critical',
      items: ['all-actions'],
      statements: refs(admin.flatMap((g) => g.statements)),
      message: () => `Grants effectively all actions on all resources (administrator access)${conditional ? ' when its conditions hold' : ''}.`,
    });
  }

  const found: Array<{ path: EscalationPath; grants: Grant[] }> = [];
  for (const path of ESCALATION_PATHS) {
    const grants: Grant[] = [];
    let ok = true;
    for (const step of path.steps) {
      const g = step.anyOf.map((a) => cap.can(a, step.resource)).find((x) => x.allowed);
      if (!g) {
        ok = false;
        break;
      }
      grants.push(g);
    }
    if (ok) found.push({ path, grants });
  }
  if (found.length > 0) {
    const byName = new Map(found.map((f) => [f.path.name, f]));
    const allConditional = found.every((f) => f.grants.some((g) => g.conditional));
    drafts.push({
      id: 'privilege-escalation',
      severity: allConditional ? 'medium' : 'high',
      items: found.map((f) => f.path.name),
      statements: refs(found.flatMap((f) => f.grants.flatMap((g) => g.statements))),
      message: (items) => {
        const first = byName.get(items[0] as string);
        const more = items.length > 1 ? ` (and ${items.length - 1} more path${items.length > 2 ? 's' : ''}: ${items.slice(1, 4).join('; ')}${items.length > 4 ? '; …' : ''})` : '';
        return `Allows privilege escalation via ${items[0]}: ${first?.path.how ?? ''}${more}.`;
      },
      detail: (items) => ({
        paths: items.map((name) => {
          const f = byName.get(name);
          return { id: f?.path.id, name, how: f?.path.how, conditional: f?.grants.some((g) => g.conditional) ?? false };
        }),
      }),
    });
  }

  const data: Array<[string, Grant]> = [];
  for (const [action, template] of DATA_ACTIONS) {
    for (const account of accounts) {
      const resource = template.replace('{account}', account);
      for (const mode of ['evaluate', 'optimistic'] as const) {
        const r = evaluate({
          request: { principal: `arn:aws:iam::${account}:user/trailwatch-analyzer`, action, resource },
          identityPolicies: policies,
          conditionMode: mode,
        });
        if (r.decision === 'Allow') {
          data.push([action, { allowed: true, conditional: mode === 'optimistic', statements: r.deciding, resource }]);
          break;
        }
      }
      if (data.some(([a]) => a === action)) break;
    }
  }
  if (data.length > 0) {
    const conditional = data.every(([, g]) => g.conditional);
    drafts.push({
      id: 'data-access-wildcard',
      severity: conditional ? 'low' : 'medium',
      items: data.map(([a]) => a),
      statements: refs(data.flatMap(([, g]) => g.statements)),
      message: (items) => `Allows reading data on every resource of its kind: ${items.join(', ')}${conditional ? ' (when its conditions hold)' : ''}.`,
    });
  }

  // PassRole on every role, without a condition restricting the service it is passed to.
  for (const account of accounts) {
    const r = evaluate({
      request: { principal: `arn:aws:iam::${account}:user/trailwatch-analyzer`, action: 'iam:PassRole', resource: `arn:aws:iam::${account}:role/trailwatch-probe-any-role` },
      identityPolicies: policies,
    });
    if (r.decision === 'Allow') {
      drafts.push({
        id: 'passrole-wildcard',
        severity: 'medium',
        items: ['iam:PassRole'],
        statements: refs(r.deciding),
        message: () => 'Allows iam:PassRole on every role, with no iam:PassedToService condition: any service can be handed any role.',
      });
      break;
    }
  }
  return drafts;
}

function describeActions(s: Statement): string {
  const list = s.action ?? [];
  return list.length > 3 ? `${list.slice(0, 3).join(', ')} and ${list.length - 3} more` : list.join(', ') || 'actions';
}

function instanceAction(s: Statement): string {
  const a = s.action?.find((x) => x.includes(':')) ?? s.action?.[0] ?? 'trailwatchprobe:AnyAction';
  return a === '*' || a === '' ? 'trailwatchprobe:AnyAction' : a.replace(/[*?]/g, 'X');
}

function instanceResource(s: Statement, account: string): string {
  const r = s.resource?.find((x) => x !== '*') ?? s.resource?.[0];
  if (!r || r === '*') return `arn:aws:s3:::trailwatch-probe/${account}`;
  return r.replace(/\$\{[^}]*\}/g, 'x').replace(/[*?]/g, 'x');
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

/** Resource-side findings: open to the world, foreign accounts, missing ExternalId. */
function resourceDrafts(policy: Policy, name: string, kind: PolicyKind, context: AnalysisContext): Draft[] {
  const drafts: Draft[] = [];
  const owner = context.account;
  const stranger = owner === '999988887777' ? '999988887766' : '999988887777';
  const publicHits: Array<{ s: Statement; who: string }> = [];
  for (const s of policy.statements) {
    if (s.effect !== 'Allow') continue;
    const action = instanceAction(s);
    const resource = instanceResource(s, owner ?? PROBE_ACCOUNT);
    const resourceAccount = owner ?? PROBE_ACCOUNT;
    const candidates: Array<[string | undefined, string]> = [
      [undefined, 'anonymous users'],
      [`arn:aws:iam::${stranger}:user/trailwatch-stranger`, 'any AWS account'],
    ];
    for (const v of s.principal?.['Federated'] ?? []) candidates.push([v, `any identity of ${v}`]);
    for (const [principal, label] of candidates) {
      const r = evaluate({
        request: principal === undefined ? { action, resource, resourceAccount } : { principal, action, resource, resourceAccount },
        resourcePolicy: { name, policy },
        identityPolicies: [{ name: 'stranger-admin', policy: { statements: [{ index: 0, effect: 'Allow', action: ['*'], resource: ['*'], conditions: [] }], size: 0, bytes: 0 } }],
        conditionMode: 'pinning',
        resourcePolicyRequired: true,
      });
      if (r.decision === 'Allow' && r.deciding.some((d) => d.role === 'resource' && d.statement === s.index)) {
        publicHits.push({ s, who: label });
        break;
      }
    }
  }
  if (publicHits.length > 0) {
    drafts.push({
      id: 'public-access',
      severity: publicHits.some((h) => exposesDataOrControl(h.s)) ? 'critical' : 'high',
      items: publicHits.map((h) => `${h.s.index}:${describeActions(h.s)}`),
      statements: publicHits.map((h) => statementRef(h.s, name)),
      message: () => {
        const h = publicHits[0] as { s: Statement; who: string };
        const what = kind === 'trust' ? 'assume this role' : `call ${describeActions(h.s)}`;
        return `Open to ${h.who}: statement ${h.s.index}${h.s.sid ? ` "${h.s.sid}"` : ''} lets them ${what} with no condition pinning it to accounts, an organization, a VPC or a source ARN.`;
      },
    });
  }

  // Cross-account: AWS principals in accounts other than the owner.
  const foreign = new Map<string, Statement[]>();
  const noExternalId: Statement[] = [];
  for (const s of policy.statements) {
    if (s.effect !== 'Allow' || !s.principal) continue;
    for (const value of s.principal['AWS'] ?? []) {
      const account = /^\d{12}$/.test(value) ? value : parseArn(value)?.account;
      if (!account || !/^\d{12}$/.test(account) || account === owner) continue;
      const principal = /^\d{12}$/.test(value) || parseArn(value)?.resource === 'root' ? `arn:aws:iam::${account}:role/trailwatch-foreign` : value;
      const r = evaluate({
        request: { principal, action: instanceAction(s), resource: instanceResource(s, owner ?? PROBE_ACCOUNT), resourceAccount: owner ?? PROBE_ACCOUNT },
        resourcePolicy: { name, policy },
        identityPolicies: [{ name: 'foreign-admin', policy: { statements: [{ index: 0, effect: 'Allow', action: ['*'], resource: ['*'], conditions: [] }], size: 0, bytes: 0 } }],
        conditionMode: 'optimistic',
        resourcePolicyRequired: true,
      });
      if (r.decision !== 'Allow') continue;
      foreign.set(account, [...(foreign.get(account) ?? []), s]);
      const hasExternalId = s.conditions.some((c) => c.key.toLowerCase() === 'sts:externalid' && !/not/i.test(c.operator));
      if (kind === 'trust' && !hasExternalId && !noExternalId.includes(s)) noExternalId.push(s);
    }
  }
  if (foreign.size > 0) {
    const accounts = [...foreign.keys()];
    const statements = [...new Set([...foreign.values()].flat())];
    drafts.push({
      id: 'cross-account-access',
      // Medium either way: whether the other account is a third party (where sts:ExternalId matters)
      // or a sibling in the same organization is not in the policy; the message says what is missing.
      severity: 'medium',
      items: accounts,
      statements: statements.map((s) => statementRef(s, name)),
      message: (items) => {
        const who = owner ? `foreign account${items.length > 1 ? 's' : ''}` : `account${items.length > 1 ? 's' : ''} (owner unknown, may be foreign)`;
        const verb = kind === 'trust' ? 'can assume this role' : 'are granted access';
        const ext = noExternalId.length > 0 ? '; the trust has no sts:ExternalId condition (confused-deputy risk for third parties)' : '';
        return `The ${who} ${items.join(', ')} ${verb}${ext}.`;
      },
      detail: (items) => ({ accounts: items, missingExternalId: noExternalId.length > 0 }),
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

function draftsFor(policy: Policy, kind: PolicyKind, context: AnalysisContext, others: Policy[]): Draft[] {
  const name = 'policy';
  const drafts: Draft[] = [];
  if (RESOURCE_KINDS.has(kind)) drafts.push(...resourceDrafts(policy, name, kind, context));
  else if (!NO_GRANT_KINDS.has(kind)) {
    const set = [{ name, policy }, ...others.map((p, i) => ({ name: `other-${i + 1}`, policy: p }))];
    drafts.push(...identityDrafts(set, context));
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
  if (!policy) return { findings, severity: worst(findings.map((f) => f.severity)), issues, comparedWithPrevious: false };
  const kind = context.kind ?? inferKind(policy);
  const others = (context.otherPolicies ?? []).map(parseOrNull).filter((p): p is Policy => p !== undefined);
  let drafts: Draft[];
  try {
    drafts = draftsFor(policy, kind, context, others);
  } catch (error) {
    // Defensive: the engine must never take the detection down; say why the policy was not judged.
    findings.push({
      id: 'invalid-policy',
      severity: 'medium',
      message: `The policy could not be analysed: ${(error as Error).message}.`,
      statements: [],
    });
    return { findings, severity: worst(findings.map((f) => f.severity)), issues, comparedWithPrevious: false };
  }

  let compared = false;
  if (context.previous !== undefined && context.previous !== null) {
    const previous = parseOrNull(context.previous);
    if (previous) {
      compared = true;
      let before: Draft[] = [];
      try {
        before = draftsFor(previous, kind, context, others);
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
    if (compared) f.message = `Newly: ${f.message}`;
    findings.push(f);
  }
  return { findings, severity: worst(findings.map((f) => f.severity)), issues, comparedWithPrevious: compared };
}

export { lower as lowerSeverity };
