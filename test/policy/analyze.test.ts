import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../shared/policy/index.ts';
import type { AnalysisContext, FindingId } from '../../shared/policy/index.ts';

type Stmt = Record<string, unknown>;
const doc = (...Statement: Stmt[]) => ({ Version: '2012-10-17', Statement });
const ids = (input: unknown, context: AnalysisContext = {}): FindingId[] => analyze(input, context).findings.map((f) => f.id);
const find = (input: unknown, id: FindingId, context: AnalysisContext = {}) => analyze(input, context).findings.find((f) => f.id === id);
const OWNER = '111122223333';

describe('identity policy findings', () => {
  it('Action * on * is admin-access (critical) and names the statement', () => {
    const a = analyze(doc({ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }));
    const f = a.findings.find((x) => x.id === 'admin-access');
    expect(f?.severity).toBe('critical');
    expect(f?.statements[0]).toMatchObject({ index: 0, sid: 'All' });
    expect(a.severity).toBe('critical');
  });
  it('NotAction with a token exclusion is still admin-access, plus notaction-allow', () => {
    const list = ids(doc({ Effect: 'Allow', NotAction: 'aws-portal:*', Resource: '*' }));
    expect(list).toContain('admin-access');
    expect(list).toContain('notaction-allow');
  });
  it('NotAction iam:* is not admin but is flagged', () => {
    const list = ids(doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' }));
    expect(list).not.toContain('admin-access');
    expect(list).toContain('notaction-allow');
  });
  it('judges what a policy really allows: iam:* minus a Deny on the escalation actions', () => {
    const open = find(doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' }), 'privilege-escalation');
    expect(open).toBeDefined();
    const denied = doc(
      { Effect: 'Allow', Action: 'iam:*', Resource: '*' },
      { Effect: 'Deny', Action: ['iam:Create*', 'iam:Put*', 'iam:Attach*', 'iam:Update*', 'iam:Set*', 'iam:AddUserToGroup', 'iam:PassRole'], Resource: '*' },
    );
    expect(ids(denied)).not.toContain('privilege-escalation');
    expect(ids(denied)).not.toContain('passrole-wildcard');
  });
  it('a Deny of PassRole removes only the PassRole paths', () => {
    const f = find(doc({ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:*', 'iam:PutUserPolicy'], Resource: '*' }, { Effect: 'Deny', Action: 'iam:PassRole', Resource: '*' }), 'privilege-escalation');
    const names = (f?.detail?.['paths'] as Array<{ name: string }>).map((p) => p.name);
    expect(names).toContain('iam:PutUserPolicy');
    expect(names.some((n) => n.includes('iam:PassRole'))).toBe(false);
    expect(f?.message).toMatch(/privilege escalation via/);
  });
  it('a conditional grant is reported one step lower', () => {
    const f = find(doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } }), 'admin-access');
    expect(f?.severity).toBe('high');
    expect(f?.message).toContain('when its conditions hold');
  });
  it('data-access-wildcard names the data actions allowed on every resource', () => {
    const f = find(doc({ Effect: 'Allow', Action: ['s3:GetObject', 'secretsmanager:GetSecretValue', 'kms:Decrypt', 'ssm:GetParameter*'], Resource: '*' }), 'data-access-wildcard');
    expect(f?.message).toContain('secretsmanager:GetSecretValue');
    expect(f?.message).toContain('ssm:GetParametersByPath');
    expect(ids(doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' }))).not.toContain('data-access-wildcard');
  });
  it('passrole-wildcard unless restricted by role or iam:PassedToService', () => {
    expect(ids(doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }))).toContain('passrole-wildcard');
    expect(ids(doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::111122223333:role/*' }))).toContain('passrole-wildcard');
    expect(ids(doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::111122223333:role/app-lambda' }))).not.toContain('passrole-wildcard');
    expect(ids(doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } }))).not.toContain('passrole-wildcard');
  });
  it('notresource-allow', () => {
    expect(ids(doc({ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::secret/*' }))).toContain('notresource-allow');
  });
  it('a read-only policy gets no grant finding at all', () => {
    expect(analyze(doc({ Effect: 'Allow', Action: ['ec2:Describe*', 's3:ListBucket'], Resource: '*' })).findings).toEqual([]);
  });
});

describe('resource and trust policy findings', () => {
  const bucket = (Principal: unknown, Condition?: Stmt) =>
    doc({ Sid: 'Read', Effect: 'Allow', Principal, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', ...(Condition ? { Condition } : {}) });
  it('public-access for Principal * without a pinning condition', () => {
    const f = find(bucket('*'), 'public-access', { kind: 's3-bucket', account: OWNER });
    expect(f?.severity).toBe('critical');
    expect(f?.message).toContain('anonymous');
    expect(f?.statements[0]).toMatchObject({ index: 0, sid: 'Read' });
    expect(ids(bucket({ AWS: '*' }), { kind: 's3-bucket', account: OWNER })).toContain('public-access');
  });
  it('a condition that does not pin (SecureTransport) keeps it public; one that pins (org, account, VPC, source) does not', () => {
    expect(ids(bucket('*', { Bool: { 'aws:SecureTransport': 'true' } }), { kind: 's3-bucket', account: OWNER })).toContain('public-access');
    for (const Condition of [
      { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      { StringEquals: { 'aws:SourceVpce': 'vpce-1' } },
      { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::111122223333:distribution/E1' } },
      { StringEquals: { 'aws:SourceAccount': OWNER } },
    ]) {
      expect(ids(bucket('*', Condition), { kind: 's3-bucket', account: OWNER }), JSON.stringify(Condition)).not.toContain('public-access');
    }
    // A negated pin (allow everyone except one org) is still public.
    expect(ids(bucket('*', { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } }), { kind: 's3-bucket', account: OWNER })).toContain('public-access');
  });
  it('a Deny that excludes everyone outside the org removes the public finding', () => {
    const policy = doc(
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } },
    );
    expect(ids(policy, { kind: 's3-bucket', account: OWNER })).not.toContain('public-access');
  });
  it('cross-account-access names the foreign accounts', () => {
    const f = find(bucket({ AWS: ['arn:aws:iam::444455556666:root', '777788889999', `arn:aws:iam::${OWNER}:role/x`] }), 'cross-account-access', { kind: 's3-bucket', account: OWNER });
    expect(f?.message).toContain('444455556666');
    expect(f?.message).toContain('777788889999');
    expect(f?.message).not.toContain(OWNER);
    expect(f?.detail?.['accounts']).toEqual(['444455556666', '777788889999']);
  });
  it('trust to another account says when sts:ExternalId is missing', () => {
    const trust = (Condition?: Stmt) => doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'sts:AssumeRole', ...(Condition ? { Condition } : {}) });
    const without = find(trust(), 'cross-account-access', { kind: 'trust', account: OWNER });
    expect(without?.severity).toBe('medium');
    expect(without?.message).toContain('sts:ExternalId');
    expect(without?.detail?.['missingExternalId']).toBe(true);
    const withId = find(trust({ StringEquals: { 'sts:ExternalId': 'x1' } }), 'cross-account-access', { kind: 'trust', account: OWNER });
    expect(withId?.detail?.['missingExternalId']).toBe(false);
    expect(withId?.message).not.toContain('sts:ExternalId');
  });
  it('public metadata access is high, public data or control is critical', () => {
    const open = (Action: string) => find(doc({ Effect: 'Allow', Principal: '*', Action, Resource: 'arn:aws:s3:::b' }), 'public-access', { kind: 's3-bucket', account: OWNER });
    expect(open('s3:GetBucketAcl')?.severity).toBe('high');
    expect(open('s3:GetObject')?.severity).toBe('critical');
    expect(open('s3:PutObject')?.severity).toBe('critical');
    expect(open('s3:*')?.severity).toBe('critical');
  });
  it('a trust policy open to everyone, or to any GitHub repository, is public', () => {
    expect(ids(doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }), { kind: 'trust', account: OWNER })).toContain('public-access');
    const github = (Condition?: Stmt) =>
      doc({ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${OWNER}:oidc-provider/token.actions.githubusercontent.com` }, Action: 'sts:AssumeRoleWithWebIdentity', ...(Condition ? { Condition } : {}) });
    expect(ids(github(), { kind: 'trust', account: OWNER })).toContain('public-access');
    expect(ids(github({ StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } }), { kind: 'trust', account: OWNER })).not.toContain('public-access');
    // A pin that pins nothing: any repository of any owner.
    expect(ids(github({ StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:*' } }), { kind: 'trust', account: OWNER })).toContain('public-access');
    expect(ids(doc({ Effect: 'Allow', Principal: '*', Action: 'sns:Publish', Resource: '*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:*:*:*' } } }), { kind: 'resource', account: OWNER })).toContain('public-access');
  });
  it('lambda:FunctionUrlAuthType = NONE is public, not a restriction', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html: auth type NONE means Lambda performs no IAM authentication.
    const url = doc({ Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl', Resource: `arn:aws:lambda:us-east-1:${OWNER}:function:web`, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } });
    expect(ids(url, { kind: 'resource', account: OWNER })).toContain('public-access');
  });
  it('infers trust vs resource kind from the document', () => {
    expect(ids(doc({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }), { account: OWNER })).toContain('public-access');
  });
});

describe('previous version: only what is newly granted', () => {
  it('adding PassRole+Lambda to a policy reports that path, not the old ones', () => {
    const before = doc({ Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: '*' });
    const after = doc({ Effect: 'Allow', Action: ['iam:PutUserPolicy', 'iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' });
    const a = analyze(after, { previous: before });
    expect(a.comparedWithPrevious).toBe(true);
    const f = a.findings.find((x) => x.id === 'privilege-escalation');
    const names = (f?.detail?.['paths'] as Array<{ name: string }>).map((p) => p.name);
    expect(names).toContain('iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction');
    expect(names).not.toContain('iam:PutUserPolicy');
    expect(f?.message).toMatch(/^Newly: /);
  });
  it('an unchanged or narrowed policy reports nothing new', () => {
    const wide = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    expect(analyze(wide, { previous: wide }).findings).toEqual([]);
    expect(analyze(doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }), { previous: wide }).findings).toEqual([]);
  });
  it('a new foreign account in a trust policy is reported alone', () => {
    const t = (...accounts: string[]) => doc({ Effect: 'Allow', Principal: { AWS: accounts }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'x' } } });
    const f = find(t('444455556666', '777788889999'), 'cross-account-access', { kind: 'trust', account: OWNER, previous: t('444455556666') });
    expect(f?.detail?.['accounts']).toEqual(['777788889999']);
  });
});

describe('bad input never crashes', () => {
  it('invalid JSON, null statements, non-string actions become invalid-policy', () => {
    expect(ids('{"Statement": [')).toEqual(['invalid-policy']);
    expect(ids({ Version: '2012-10-17', Statement: null })).toContain('invalid-policy');
    expect(ids({ Version: '2012-10-17', Statement: [null, { Effect: 'Allow', Action: [{}], Resource: '*' }] })).toContain('invalid-policy');
    expect(ids(42)).toEqual(['invalid-policy']);
    expect(ids(undefined)).toEqual(['invalid-policy']);
  });
  it('unknown-action names typos', () => {
    const f = find(doc({ Effect: 'Allow', Action: 's3:GetObjekt', Resource: '*' }), 'unknown-action');
    expect(f?.message).toContain('s3:GetObjekt');
  });
  it('deeply nested and 1 MB documents give a finding, not a crash', () => {
    const deep = `{"Version":"2012-10-17","Statement":${'['.repeat(200_000)}`;
    expect(ids(deep)).toEqual(['invalid-policy']);
    const huge = JSON.stringify(doc(...Array.from({ length: 9000 }, (_, i) => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-${i}/${'x'.repeat(70)}` }))));
    expect(huge.length).toBeGreaterThan(1_000_000);
    expect(ids(huge, { kind: 'managed' })).toContain('invalid-policy');
  });
  it('unicode tricks in ARNs are reported and do not fool matching', () => {
    const a = analyze(doc({ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::111122223333:role/\u0430dmin' }));
    expect(a.findings.map((f) => f.id)).toContain('invalid-policy');
  });
  it('arbitrary JSON values never throw (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const a = analyze(value);
        expect(Array.isArray(a.findings)).toBe(true);
      }),
      { numRuns: 300, seed: 11 },
    );
    const statementArb = fc.record({
      Effect: fc.constantFrom('Allow', 'Deny', 'allow', 1, null),
      Action: fc.oneof(fc.constantFrom('*', 'iam:*', 's3:Get*', 'iam:PassRole'), fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 })),
      Resource: fc.oneof(fc.constantFrom('*', 'arn:aws:iam::*:role/*'), fc.string()),
      Principal: fc.oneof(fc.constant(undefined), fc.constant('*'), fc.record({ AWS: fc.string() })),
      Condition: fc.oneof(fc.constant(undefined), fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))))),
    }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.array(statementArb, { maxLength: 4 }), (Statement) => {
        expect(() => analyze({ Version: '2012-10-17', Statement })).not.toThrow();
      }),
      { numRuns: 300, seed: 12 },
    );
  });
});
