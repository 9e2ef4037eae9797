import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyze, CALLER_ADMIN, evaluate } from '../../shared/policy/index.ts';
import type { AnalysisContext, FindingId, PolicyFinding, Witness } from '../../shared/policy/index.ts';

type Stmt = Record<string, unknown>;
const doc = (...Statement: Stmt[]) => ({ Version: '2012-10-17', Statement });
const OWNER = '111122223333';
const find = (input: unknown, id: FindingId, context: AnalysisContext = {}): PolicyFinding | undefined => analyze(input, context).findings.find((f) => f.id === id);
const ids = (input: unknown, context: AnalysisContext = {}): FindingId[] => analyze(input, context).findings.map((f) => f.id);

/** Re-runs a witness the way `trailwatch policy evaluate` does. */
function rerun(w: Witness, policy: unknown, side: 'identity' | 'resource', others: unknown[] = []) {
  const identity = side === 'identity' ? [{ name: 'p', policy }, ...others.map((o, i) => ({ name: `o${i}`, policy: o }))] : [];
  return evaluate({
    request: { ...(w.principal ? { principal: w.principal } : {}), action: w.action, resource: w.resource, ...(w.resourceAccount ? { resourceAccount: w.resourceAccount } : {}), context: w.context },
    identityPolicies: [...identity, ...(w.callerAdmin ? [CALLER_ADMIN] : [])],
    ...(side === 'resource' ? { resourcePolicy: { name: 'p', policy } } : {}),
  }).decision;
}

function expectWitnessed(f: PolicyFinding | undefined, policy: unknown, side: 'identity' | 'resource', others: unknown[] = []): void {
  expect(f).toBeDefined();
  expect(f?.witnesses?.length ?? 0).toBeGreaterThan(0);
  for (const w of f?.witnesses ?? []) expect(rerun(w, policy, side, others), JSON.stringify(w)).toBe('Allow');
}

describe('witnesses instead of probes: identity policies', () => {
  const escalation = { Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: '*' };
  it('a Deny aimed at the old probe names does not hide an escalation', () => {
    for (const deny of [
      { StringEquals: { 'aws:username': 'trailwatch-analyzer' } },
      { StringLike: { 'aws:PrincipalArn': '*trailwatch*' } },
      { StringEquals: { 'aws:PrincipalAccount': '111122223333' } },
    ]) {
      const policy = doc(escalation, { Effect: 'Deny', Action: '*', Resource: '*', Condition: deny });
      expectWitnessed(find(policy, 'privilege-escalation'), policy, 'identity');
    }
  });
  it('a Deny for every user still leaves roles that hold the policy', () => {
    const policy = doc(escalation, { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringLike: { 'aws:username': '*' } } });
    const f = find(policy, 'privilege-escalation');
    expectWitnessed(f, policy, 'identity');
    expect(f?.witnesses?.[0]?.principal).toMatch(/:role\//);
  });
  it('a Deny that covers everyone leaves no finding', () => {
    expect(ids(doc(escalation, { Effect: 'Deny', Action: 'iam:*', Resource: '*' }))).not.toContain('privilege-escalation');
    expect(ids(doc(escalation, { Effect: 'Deny', Action: 'iam:*', Resource: '*', Condition: { Null: { 'aws:PrincipalArn': 'false' } } }))).not.toContain('privilege-escalation');
  });
  it('a conditional grant comes with the context that makes it true (and is one step lower)', () => {
    const policy = doc({ ...escalation, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } } });
    const f = find(policy, 'privilege-escalation');
    expectWitnessed(f, policy, 'identity');
    expect(f?.severity).toBe('medium');
    expect(f?.witnesses?.[0]?.context['aws:multifactorauthpresent']).toEqual(['true']);
  });
  it('an Allow whose conditions cannot all hold has no witness and no finding', () => {
    const policy = doc(
      { ...escalation, Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } },
    );
    expect(ids(policy)).not.toContain('privilege-escalation');
  });
  it('time windows, numeric bounds and policy variables are searched, not guessed', () => {
    const policy = doc(
      { ...escalation, Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' }, NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:ResourceTag/owner': '${aws:PrincipalTag/owner}' } } },
    );
    expectWitnessed(find(policy, 'privilege-escalation'), policy, 'identity');
  });
  it('access keys for oneself only are not an escalation; for anyone else they are', () => {
    const self = doc({ Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: 'arn:aws:iam::*:user/${aws:username}' });
    expect(ids(self)).not.toContain('privilege-escalation');
    const any = doc({ Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: 'arn:aws:iam::*:user/*' });
    expectWitnessed(find(any, 'privilege-escalation'), any, 'identity');
  });
  it('a principal is judged with all its policies and its permissions boundary together', () => {
    const passRole = doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' });
    const ec2 = doc({ Effect: 'Allow', Action: 'ec2:RunInstances', Resource: '*' });
    expect(ids(passRole)).not.toContain('privilege-escalation');
    const f = find(passRole, 'privilege-escalation', { otherPolicies: [ec2] });
    expect((f?.detail?.['paths'] as Array<{ name: string }>).map((p) => p.name)).toContain('iam:PassRole + ec2:RunInstances');
    const boundary = doc({ Effect: 'Allow', Action: ['ec2:*', 's3:*'], Resource: '*' });
    expect(ids(passRole, { otherPolicies: [ec2], permissionsBoundary: boundary })).not.toContain('privilege-escalation');
  });

  it('property: no Deny aimed at one specific value (a name, account, IP, time, tag) hides an escalation', () => {
    const probeLike = fc.constantFrom('trailwatch-analyzer', 'trailwatch-probe', 'twfresh1', 'twfresh2', 'twfresh3', 'admin', 'alice', 'AIDAEXAMPLE');
    const accountLike = fc.constantFrom('111122223333', '999988887777', '300007919113', '123456789012', '000000000000');
    const denyCondition = fc.oneof(
      probeLike.map((v) => ({ StringEquals: { 'aws:username': v } })),
      probeLike.map((v) => ({ StringLike: { 'aws:PrincipalArn': `arn:aws:iam::*:user/${v}` } })),
      probeLike.map((v) => ({ StringEqualsIgnoreCase: { 'aws:userid': v } })),
      accountLike.map((v) => ({ StringEquals: { 'aws:PrincipalAccount': v } })),
      accountLike.map((v) => ({ StringEquals: { 'aws:ResourceAccount': v } })),
      fc.ipV4().map((ip) => ({ IpAddress: { 'aws:SourceIp': `${ip}/32` } })),
      fc.date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => ({ DateGreaterThan: { 'aws:CurrentTime': d.toISOString() } })),
      fc.integer({ min: 0, max: 100000 }).map((n) => ({ NumericLessThan: { 'aws:MultiFactorAuthAge': String(n) } })),
      probeLike.map((v) => ({ 'ForAnyValue:StringEquals': { 'aws:PrincipalTag/team': v } })),
      fc.constantFrom('us-east-1', 'eu-west-1').map((v) => ({ StringEquals: { 'aws:RequestedRegion': v } })),
    );
    const action = fc.constantFrom('iam:PutUserPolicy', 'iam:AttachRolePolicy', 'iam:CreatePolicyVersion', 'lambda:UpdateFunctionCode');
    fc.assert(
      fc.property(action, fc.array(denyCondition, { minLength: 1, maxLength: 3 }), (act, conditions) => {
        const policy = doc({ Effect: 'Allow', Action: act, Resource: '*' }, ...conditions.map((Condition) => ({ Effect: 'Deny', Action: '*', Resource: '*', Condition })));
        const f = find(policy, 'privilege-escalation');
        expectWitnessed(f, policy, 'identity');
      }),
      { numRuns: 200, seed: 1111 },
    );
  });
});

describe('witnesses in the overlap of two different wildcard patterns on one key', () => {
  it('an escalation reachable only where two patterns overlap is found (dev-* and *-eu-*)', () => {
    const policy = doc(
      { Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: '*', Condition: { StringLike: { 'aws:PrincipalTag/team': 'dev-*' } } },
      { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotLike: { 'aws:PrincipalTag/team': '*-eu-*' } } },
    );
    const f = find(policy, 'privilege-escalation', { account: OWNER });
    expectWitnessed(f, policy, 'identity');
    expect(JSON.stringify(f?.witnesses)).toMatch(/"dev-eu-[^"]*"/);
  });
  it('property: Allow on pattern A, Deny outside pattern B: found exactly when some value matches both (and not denied by a third)', () => {
    const piece = fc.constantFrom('dev', 'eu', 'prod', 'x', '-', '*', '?', '*-', '-*');
    const glob = fc.array(piece, { minLength: 1, maxLength: 4 }).map((xs) => xs.join('')).filter((g) => /[*?]/.test(g));
    const key = 'aws:PrincipalTag/team';
    fc.assert(
      fc.property(glob, glob, fc.option(glob, { nil: undefined }), (a, b, c) => {
        const statements: Stmt[] = [
          { Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: '*', Condition: { StringLike: { [key]: a } } },
          { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotLike: { [key]: b } } },
        ];
        if (c !== undefined) statements.push({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringLike: { [key]: c } } });
        const policy = doc(...statements);
        const f = find(policy, 'privilege-escalation', { account: OWNER });
        // Ground truth by brute force over short tag values (plus the engine's own witness, if any).
        const matches = (p: string, v: string): boolean => new RegExp(`^${p.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(v);
        const values: string[] = [''];
        for (let n = 0; n < values.length && values.length < 6000; n++) {
          const v = values[n] as string;
          if (v.length < 9) for (const t of ['dev', 'eu', 'prod', 'x', '-', 'q']) values.push(v + t);
        }
        const exists = values.some((v) => matches(a, v) && matches(b, v) && (c === undefined || !matches(c, v)));
        if (exists) expectWitnessed(f, policy, 'identity');
        else if (f) expectWitnessed(f, policy, 'identity'); // a value longer than the brute force reaches: still a real witness
      }),
      { numRuns: 200, seed: 2026 },
    );
  });
});

describe('witnesses instead of probes: resource and trust policies', () => {
  it('naming one account is never public, whichever account it is (the old probe accounts included)', () => {
    fc.assert(
      fc.property(fc.constantFrom('999988887777', '999988887766', '111122223333', '300007919113', '444455556666'), (account) => {
        const trust = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' });
        const list = ids(trust, { kind: 'trust', account: OWNER });
        expect(list).not.toContain('public-access');
        if (account !== OWNER) expectWitnessed(find(trust, 'cross-account-access', { kind: 'trust', account: OWNER }), trust, 'resource');
      }),
      { numRuns: 20, seed: 7 },
    );
  });
  it('account 999988887777 (the old fixed probe account) is one named account, never "any account"', () => {
    for (const principal of ['999988887777', 'arn:aws:iam::999988887777:root', 'arn:aws:iam::999988887777:role/deploy']) {
      const bucket = doc({ Effect: 'Allow', Principal: { AWS: principal }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' });
      const list = ids(bucket, { kind: 's3-bucket', account: OWNER });
      expect(list, principal).not.toContain('public-access');
      expect(list, principal).toContain('cross-account-access');
    }
    const pinned = doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 'aws:PrincipalAccount': '999988887777' } } });
    expect(ids(pinned, { kind: 's3-bucket', account: OWNER })).not.toContain('public-access');
    // Owned by that account itself: nothing foreign at all.
    expect(ids(doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'sts:AssumeRole' }), { kind: 'trust', account: '999988887777' })).toEqual([]);
  });
  it('property: a public bucket stays public whatever single stranger value a Deny names', () => {
    const denied = fc.oneof(
      fc.constantFrom('999988887777', '300007919113', '123456789012').map((v) => ({ StringEquals: { 'aws:PrincipalAccount': v } })),
      fc.constantFrom('trailwatch-stranger', 'twfresh1', 'twfresh2').map((v) => ({ StringLike: { 'aws:PrincipalArn': `arn:aws:iam::*:user/${v}` } })),
      fc.ipV4().map((ip) => ({ IpAddress: { 'aws:SourceIp': `${ip}/32` } })),
      fc.constantFrom('o-abc', 'o-twfresh1').map((v) => ({ StringEquals: { 'aws:PrincipalOrgID': v } })),
      fc.constant({ Null: { 'aws:PrincipalArn': 'true' } }),
    );
    fc.assert(
      fc.property(fc.array(denied, { minLength: 1, maxLength: 3 }), (conditions) => {
        const policy = doc(
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
          ...conditions.map((Condition) => ({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition })),
        );
        expectWitnessed(find(policy, 'public-access', { kind: 's3-bucket', account: OWNER }), policy, 'resource');
      }),
      { numRuns: 150, seed: 8 },
    );
  });
  it('a wildcard in the part that says who owns a principal is public; one in the name is not', () => {
    const bucket = (Condition: Stmt) => doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition });
    const open = bucket({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/deploy' } });
    expectWitnessed(find(open, 'public-access', { kind: 's3-bucket', account: OWNER }), open, 'resource');
    expect(ids(bucket({ ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${OWNER}:role/*` } }), { kind: 's3-bucket', account: OWNER })).not.toContain('public-access');
    const source = bucket({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::logs-*' } });
    expect(ids(source, { kind: 's3-bucket', account: OWNER })).toContain('public-access');
  });
});

describe('federated trust', () => {
  const github = `arn:aws:iam::${OWNER}:oidc-provider/token.actions.githubusercontent.com`;
  const trust = (Federated: string, Condition?: Stmt) =>
    doc({ Effect: 'Allow', Principal: { Federated }, Action: 'sts:AssumeRoleWithWebIdentity', ...(Condition ? { Condition } : {}) });
  it('GitHub Actions with only the audience pinned lets every repository on GitHub in', () => {
    const policy = trust(github, { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } });
    const f = find(policy, 'public-access', { kind: 'trust', account: OWNER });
    expectWitnessed(f, policy, 'resource');
    expect(f?.severity).toBe('critical');
    expect(f?.message).toContain('GitHub');
  });
  it('GitHub Actions pinned to an owner is not public; a wildcard in the owner is', () => {
    const pinned = trust(github, { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' }, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } });
    expect(ids(pinned, { kind: 'trust', account: OWNER })).not.toContain('public-access');
    for (const sub of ['repo:acme*', 'repo:*/app:*', '*:ref:refs/heads/main', 'repo:*']) {
      const policy = trust(github, { StringLike: { 'token.actions.githubusercontent.com:sub': sub } });
      expect(ids(policy, { kind: 'trust', account: OWNER }), sub).toContain('public-access');
    }
  });
  it('GitLab.com and HCP Terraform need their subject pinned', () => {
    const gitlab = `arn:aws:iam::${OWNER}:oidc-provider/gitlab.com`;
    expect(ids(trust(gitlab, { StringEquals: { 'gitlab.com:aud': 'https://gitlab.com' } }), { kind: 'trust', account: OWNER })).toContain('public-access');
    expect(ids(trust(gitlab, { StringLike: { 'gitlab.com:sub': 'project_path:acme/infra:ref_type:branch:ref:main' } }), { kind: 'trust', account: OWNER })).not.toContain('public-access');
    const tfc = `arn:aws:iam::${OWNER}:oidc-provider/app.terraform.io`;
    expect(ids(trust(tfc, { StringEquals: { 'app.terraform.io:aud': 'aws.workload.identity' } }), { kind: 'trust', account: OWNER })).toContain('public-access');
    expect(ids(trust(tfc, { StringLike: { 'app.terraform.io:sub': 'organization:acme:project:*:workspace:*:run_phase:*' } }), { kind: 'trust', account: OWNER })).not.toContain('public-access');
  });
  it('Cognito without its identity pool pinned is public', () => {
    const cognito = 'cognito-identity.amazonaws.com';
    const open = trust(cognito, { 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' } });
    expectWitnessed(find(open, 'public-access', { kind: 'trust', account: OWNER }), open, 'resource');
    const pinned = trust(cognito, { StringEquals: { 'cognito-identity.amazonaws.com:aud': 'us-east-1:12345678-1234-1234-1234-123456789012' } });
    expect(ids(pinned, { kind: 'trust', account: OWNER })).not.toContain('public-access');
  });
  it('an EKS cluster without the service account pinned: every workload of the cluster (broad-federated-trust)', () => {
    const eks = `arn:aws:iam::${OWNER}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`;
    const key = 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
    const open = trust(eks, { StringEquals: { [`${key}:aud`]: 'sts.amazonaws.com' } });
    const f = find(open, 'broad-federated-trust', { kind: 'trust', account: OWNER });
    expectWitnessed(f, open, 'resource');
    expect(ids(open, { kind: 'trust', account: OWNER })).not.toContain('public-access');
    const pinned = trust(eks, { StringEquals: { [`${key}:aud`]: 'sts.amazonaws.com', [`${key}:sub`]: 'system:serviceaccount:prod:app' } });
    expect(ids(pinned, { kind: 'trust', account: OWNER })).toEqual([]);
  });
  it('SAML trust is not judged (the account IdP names the role in its assertion)', () => {
    const saml = doc({ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${OWNER}:saml-provider/Okta` }, Action: 'sts:AssumeRoleWithSAML', Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } } });
    expect(ids(saml, { kind: 'trust', account: OWNER })).toEqual([]);
  });
});

describe('service principals: confused deputy', () => {
  const topic = `arn:aws:sns:us-east-1:${OWNER}:alerts`;
  it('a service grant without aws:SourceAccount/SourceArn is reported; with them it is not', () => {
    const open = doc({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sns:Publish', Resource: topic });
    const f = find(open, 'confused-deputy', { kind: 'resource', account: OWNER });
    expectWitnessed(f, open, 'resource');
    expect(f?.message).toContain('s3.amazonaws.com');
    for (const Condition of [{ StringEquals: { 'aws:SourceAccount': OWNER } }, { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::my-bucket' } }]) {
      const pinned = doc({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sns:Publish', Resource: topic, Condition });
      expect(ids(pinned, { kind: 'resource', account: OWNER }), JSON.stringify(Condition)).not.toContain('confused-deputy');
    }
    // A source ARN pattern any account's bucket can match pins nothing.
    const broad = doc({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sns:Publish', Resource: topic, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } } });
    expect(ids(broad, { kind: 'resource', account: OWNER })).toContain('confused-deputy');
  });
  it('role trust: only services whose guidance asks for source keys in the trust', () => {
    const role = (service: string) => doc({ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' });
    expect(ids(role('ec2.amazonaws.com'), { kind: 'trust', account: OWNER })).toEqual([]);
    expect(ids(role('lambda.amazonaws.com'), { kind: 'trust', account: OWNER })).toEqual([]);
    expect(ids(role('scheduler.amazonaws.com'), { kind: 'trust', account: OWNER })).toContain('confused-deputy');
  });
});

describe('zone of trust', () => {
  const zone = { organizationId: 'o-acme12345', trustedAccounts: ['444455556666'] };
  const bucket = (Principal: unknown, Condition?: Stmt) => doc({ Effect: 'Allow', Principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', ...(Condition ? { Condition } : {}) });
  it('trusted accounts are not foreign; other named accounts are', () => {
    const policy = bucket({ AWS: ['444455556666', '777788889999'] });
    const f = find(policy, 'cross-account-access', { kind: 's3-bucket', account: OWNER, zoneOfTrust: zone });
    expect(f?.detail?.['accounts']).toEqual(['777788889999']);
    expectWitnessed(f, policy, 'resource');
    expect(ids(bucket({ AWS: '444455556666' }), { kind: 's3-bucket', account: OWNER, zoneOfTrust: zone })).toEqual([]);
  });
  it('a grant that requires our organization is same-org, not foreign; another organization is not ours', () => {
    const sameOrg = bucket({ AWS: '777788889999' }, { StringEquals: { 'aws:PrincipalOrgID': 'o-acme12345' } });
    expect(ids(sameOrg, { kind: 's3-bucket', account: OWNER, zoneOfTrust: zone })).toEqual([]);
    const otherOrg = bucket({ AWS: '777788889999' }, { StringEquals: { 'aws:PrincipalOrgID': 'o-partner999' } });
    expect(ids(otherOrg, { kind: 's3-bucket', account: OWNER, zoneOfTrust: zone })).toContain('cross-account-access');
    expect(ids(bucket('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-acme12345' } }), { kind: 's3-bucket', account: OWNER, zoneOfTrust: zone })).toEqual([]);
  });
});
