import { describe, expect, it } from 'vitest';
import { EvaluationInputError, evaluate } from '../../shared/policy/index.ts';
import type { EvaluationInput } from '../../shared/policy/index.ts';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const alice = `arn:aws:iam::${ACCOUNT}:user/alice`;
const session = `arn:aws:sts::${ACCOUNT}:assumed-role/dev/alice-session`;
const devRole = `arn:aws:iam::${ACCOUNT}:role/dev`;
const bucket = 'arn:aws:s3:::data-bucket';
const object = 'arn:aws:s3:::data-bucket/reports/q1.csv';

type Stmt = Record<string, unknown>;
const doc = (...Statement: Stmt[]) => ({ Version: '2012-10-17', Statement });
const allow = (Action: unknown, Resource: unknown = '*', extra: Stmt = {}): Stmt => ({ Effect: 'Allow', Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown = '*', extra: Stmt = {}): Stmt => ({ Effect: 'Deny', Action, Resource, ...extra });
const id = (...statements: Stmt[]) => [{ name: 'id', policy: doc(...statements) }];
const run = (input: Partial<EvaluationInput> & { request: EvaluationInput['request'] }) => evaluate(input as EvaluationInput);
const req = (action: string, resource = object, principal = alice, context: Record<string, string | string[]> = {}) => ({ principal, action, resource, context });

describe('identity policies', () => {
  it('no policy means implicit deny', () => {
    expect(run({ request: req('s3:GetObject') }).decision).toBe('ImplicitDeny');
  });
  it('an Allow grants; actions are case-insensitive, resources case-sensitive', () => {
    expect(run({ request: req('S3:getobject'), identityPolicies: id(allow('s3:GetObject', `${bucket}/*`)) }).decision).toBe('Allow');
    expect(run({ request: req('s3:GetObject', 'arn:aws:s3:::DATA-bucket/x'), identityPolicies: id(allow('s3:GetObject', `${bucket}/*`)) }).decision).toBe('ImplicitDeny');
  });
  it('explicit deny wins over any allow, and the explanation names it', () => {
    const r = run({ request: req('s3:GetObject'), identityPolicies: [{ name: 'a', policy: doc(allow('s3:*')) }, { name: 'b', policy: doc(deny('s3:GetObject', '*', { Sid: 'NoRead' })) }] });
    expect(r.decision).toBe('ExplicitDeny');
    expect(r.deciding).toEqual([{ role: 'identity', policy: 'b', statement: 0, sid: 'NoRead', effect: 'Deny' }]);
    expect(r.explanation[0]).toContain('policy b statement 0 "NoRead"');
  });
  it('NotAction allows everything except the listed actions', () => {
    const p = id(allow(undefined, '*', { Action: undefined, NotAction: ['iam:*'] }));
    expect(run({ request: req('s3:GetObject'), identityPolicies: p }).decision).toBe('Allow');
    expect(run({ request: req('iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/x`), identityPolicies: p }).decision).toBe('ImplicitDeny');
  });
  it('Deny with NotAction denies everything else', () => {
    const p = id(allow('*'), { Effect: 'Deny', NotAction: ['s3:GetObject'], Resource: '*' });
    expect(run({ request: req('s3:GetObject'), identityPolicies: p }).decision).toBe('Allow');
    expect(run({ request: req('s3:PutObject'), identityPolicies: p }).decision).toBe('ExplicitDeny');
  });
  it('NotResource allows everything except the listed resources', () => {
    const p = id({ Effect: 'Allow', Action: 's3:*', NotResource: `${bucket}/secret/*` });
    expect(run({ request: req('s3:GetObject'), identityPolicies: p }).decision).toBe('Allow');
    expect(run({ request: req('s3:GetObject', `${bucket}/secret/k`), identityPolicies: p }).decision).toBe('ImplicitDeny');
  });
  it('substitutes ${aws:username} in Resource under 2012-10-17 only', () => {
    const p = id(allow('s3:GetObject', `${bucket}/home/\${aws:username}/*`));
    expect(run({ request: req('s3:GetObject', `${bucket}/home/alice/x`), identityPolicies: p }).decision).toBe('Allow');
    expect(run({ request: req('s3:GetObject', `${bucket}/home/bob/x`), identityPolicies: p }).decision).toBe('ImplicitDeny');
    const old = [{ name: 'old', policy: { Version: '2008-10-17', Statement: [allow('s3:GetObject', `${bucket}/home/\${aws:username}/*`)] } }];
    expect(run({ request: req('s3:GetObject', `${bucket}/home/alice/x`), identityPolicies: old }).decision).toBe('ImplicitDeny');
  });
  it('an unresolvable variable in Resource does not match', () => {
    const p = id(allow('s3:GetObject', `${bucket}/\${aws:PrincipalTag/team}/*`));
    expect(run({ request: req('s3:GetObject', `${bucket}/red/x`), identityPolicies: p }).decision).toBe('ImplicitDeny');
    expect(run({ request: req('s3:GetObject', `${bucket}/red/x`, alice, { 'aws:PrincipalTag/team': 'red' }), identityPolicies: p }).decision).toBe('Allow');
  });
  it('conditions decide; a Deny with an unmet condition does not apply', () => {
    const p = id(allow('s3:*'), deny('s3:*', '*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(run({ request: req('s3:GetObject', object, alice, { 'aws:SecureTransport': 'true' }), identityPolicies: p }).decision).toBe('Allow');
    expect(run({ request: req('s3:GetObject', object, alice, { 'aws:SecureTransport': 'false' }), identityPolicies: p }).decision).toBe('ExplicitDeny');
  });
});

describe('SCPs and RCPs', () => {
  const scpAllowAll = [{ name: 'FullAWSAccess', policy: doc(allow('*')) }];
  it('every SCP level must allow', () => {
    const scps = [scpAllowAll, [{ name: 'OnlyS3', policy: doc(allow('s3:*')) }]];
    expect(run({ request: req('s3:GetObject'), identityPolicies: id(allow('*')), scps }).decision).toBe('Allow');
    const r = run({ request: req('ec2:RunInstances', '*'), identityPolicies: id(allow('*')), scps });
    expect(r.decision).toBe('ImplicitDeny');
    expect(r.explanation[0]).toContain('level 1');
  });
  it('an SCP never grants by itself', () => {
    expect(run({ request: req('s3:GetObject'), scps: [scpAllowAll] }).decision).toBe('ImplicitDeny');
  });
  it('an SCP Deny is an explicit deny', () => {
    const scps = [[...scpAllowAll, { name: 'DenyLeave', policy: doc(deny('organizations:LeaveOrganization')) }]];
    expect(run({ request: req('organizations:LeaveOrganization', '*'), identityPolicies: id(allow('*')), scps }).decision).toBe('ExplicitDeny');
  });
  it('RCP levels must allow; an RCP deny applies to the resource', () => {
    const rcps = [[{ name: 'RCPFullAWSAccess', policy: doc(allow('*', '*', { Principal: '*' })) }], [{ name: 'Deny', policy: doc(deny('s3:*', '*', { Principal: '*', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } } })) }]];
    expect(run({ request: req('s3:GetObject'), identityPolicies: id(allow('*')), rcps }).decision).toBe('ExplicitDeny');
    expect(run({ request: req('s3:GetObject', object, alice, { 'aws:PrincipalOrgID': 'o-abc' }), identityPolicies: id(allow('*')), rcps }).decision).toBe('ImplicitDeny');
    const rcps2 = [[{ name: 'RCPFullAWSAccess', policy: doc(allow('*', '*', { Principal: '*' })) }]];
    expect(run({ request: req('s3:GetObject'), identityPolicies: id(allow('*')), rcps: rcps2 }).decision).toBe('Allow');
  });
});

describe('permissions boundary and session policies', () => {
  it('the boundary limits identity grants', () => {
    const permissionsBoundary = { name: 'boundary', policy: doc(allow('s3:*')) };
    expect(run({ request: req('s3:GetObject'), identityPolicies: id(allow('*')), permissionsBoundary }).decision).toBe('Allow');
    expect(run({ request: req('iam:CreateUser', '*'), identityPolicies: id(allow('*')), permissionsBoundary }).decision).toBe('ImplicitDeny');
  });
  it('a boundary never grants by itself', () => {
    expect(run({ request: req('s3:GetObject'), permissionsBoundary: { name: 'b', policy: doc(allow('*')) } }).decision).toBe('ImplicitDeny');
  });
  it('session policies limit the session', () => {
    const sessionPolicies = [{ name: 'session', policy: doc(allow('s3:GetObject')) }];
    expect(run({ request: req('s3:GetObject', object, session), identityPolicies: id(allow('*')), sessionPolicies }).decision).toBe('Allow');
    expect(run({ request: req('s3:PutObject', object, session), identityPolicies: id(allow('*')), sessionPolicies }).decision).toBe('ImplicitDeny');
  });
  it('a same-account resource policy naming the user directly is not limited by the boundary; naming the role is', () => {
    const permissionsBoundary = { name: 'boundary', policy: doc(allow('ec2:*')) };
    const direct = { name: 'bucket', policy: doc(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: alice } })) };
    expect(run({ request: req('s3:GetObject', object, alice), resourcePolicy: direct, permissionsBoundary }).decision).toBe('Allow');
    const toRole = { name: 'bucket', policy: doc(allow('s3:GetObject', `${bucket}/*`, { Principal: { AWS: devRole } })) };
    expect(run({ request: req('s3:GetObject', object, session), resourcePolicy: toRole, permissionsBoundary }).decision).toBe('ImplicitDeny');
    expect(run({ request: req('s3:GetObject', object, session), resourcePolicy: toRole }).decision).toBe('Allow');
  });
});

describe('resource policies: same account vs cross account', () => {
  const bucketPolicy = (Principal: unknown, extra: Stmt = {}) => ({ name: 'bucket', policy: doc(allow('s3:GetObject', `${bucket}/*`, { Principal, ...extra })) });
  it('same account: a resource policy naming the principal grants without an identity policy', () => {
    expect(run({ request: { ...req('s3:GetObject'), resourceAccount: ACCOUNT }, resourcePolicy: bucketPolicy({ AWS: alice }) }).decision).toBe('Allow');
  });
  it('same account: a grant to the account only delegates to identity policies', () => {
    const r = bucketPolicy({ AWS: `arn:aws:iam::${ACCOUNT}:root` });
    expect(run({ request: { ...req('s3:GetObject'), resourceAccount: ACCOUNT }, resourcePolicy: r }).decision).toBe('ImplicitDeny');
    expect(run({ request: { ...req('s3:GetObject'), resourceAccount: ACCOUNT }, resourcePolicy: r, identityPolicies: id(allow('s3:GetObject')) }).decision).toBe('Allow');
  });
  it('cross account: both the identity policy and the resource policy must allow', () => {
    const request = { ...req('s3:GetObject'), resourceAccount: OTHER };
    expect(run({ request, identityPolicies: id(allow('s3:GetObject')) }).decision).toBe('ImplicitDeny');
    expect(run({ request, resourcePolicy: bucketPolicy({ AWS: ACCOUNT }) }).decision).toBe('ImplicitDeny');
    const r = run({ request, resourcePolicy: bucketPolicy({ AWS: ACCOUNT }), identityPolicies: id(allow('s3:GetObject')) });
    expect(r.decision).toBe('Allow');
    expect(r.deciding.map((d) => d.role).sort()).toEqual(['identity', 'resource']);
  });
  it('a resource-policy Deny wins', () => {
    const resourcePolicy = { name: 'bucket', policy: doc(deny('s3:*', '*', { Principal: '*' })) };
    expect(run({ request: req('s3:GetObject'), resourcePolicy, identityPolicies: id(allow('*')) }).decision).toBe('ExplicitDeny');
  });
  it('Principal "*" grants anonymous access; identity policies do not apply to anonymous', () => {
    const resourcePolicy = bucketPolicy('*');
    expect(run({ request: { action: 's3:GetObject', resource: object, resourceAccount: ACCOUNT }, resourcePolicy }).decision).toBe('Allow');
    expect(run({ request: { action: 's3:GetObject', resource: object, resourceAccount: ACCOUNT }, identityPolicies: id(allow('*')) }).decision).toBe('ImplicitDeny');
  });
  it('NotPrincipal applies to everyone not listed', () => {
    const resourcePolicy = { name: 'bucket', policy: doc(deny('s3:*', '*', { NotPrincipal: { AWS: alice } })) };
    const bob = `arn:aws:iam::${ACCOUNT}:user/bob`;
    expect(run({ request: req('s3:GetObject', object, bob), resourcePolicy, identityPolicies: id(allow('*')) }).decision).toBe('ExplicitDeny');
    expect(run({ request: req('s3:GetObject', object, alice), resourcePolicy, identityPolicies: id(allow('*')) }).decision).toBe('Allow');
  });
  it('service principals are matched by the Service element', () => {
    const resourcePolicy = { name: 'topic', policy: doc(allow('sns:Publish', '*', { Principal: { Service: 'events.amazonaws.com' } })) };
    const topic = `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`;
    expect(run({ request: { principal: 'events.amazonaws.com', action: 'sns:Publish', resource: topic }, resourcePolicy }).decision).toBe('Allow');
    expect(run({ request: { principal: 's3.amazonaws.com', action: 'sns:Publish', resource: topic }, resourcePolicy }).decision).toBe('ImplicitDeny');
  });
});

describe('role trust policies', () => {
  const trust = (Principal: unknown, extra: Stmt = {}) => ({ name: 'trust', policy: doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal, ...extra }) });
  const role = `arn:aws:iam::${ACCOUNT}:role/admin`;
  it('the trust policy must allow even within the account', () => {
    expect(run({ request: req('sts:AssumeRole', role), identityPolicies: id(allow('sts:AssumeRole')), resourcePolicy: trust({ Service: 'ec2.amazonaws.com' }) }).decision).toBe('ImplicitDeny');
  });
  it('trusting the account root needs an identity policy too', () => {
    expect(run({ request: req('sts:AssumeRole', role), resourcePolicy: trust({ AWS: ACCOUNT }) }).decision).toBe('ImplicitDeny');
    expect(run({ request: req('sts:AssumeRole', role), resourcePolicy: trust({ AWS: ACCOUNT }), identityPolicies: id(allow('sts:AssumeRole')) }).decision).toBe('Allow');
  });
  it('cross-account trust with sts:ExternalId', () => {
    const foreign = `arn:aws:iam::${OTHER}:role/vendor`;
    const t = trust({ AWS: `arn:aws:iam::${OTHER}:root` }, { Condition: { StringEquals: { 'sts:ExternalId': 'abc123' } } });
    const identityPolicies = id(allow('sts:AssumeRole'));
    expect(run({ request: req('sts:AssumeRole', role, foreign), resourcePolicy: t, identityPolicies }).decision).toBe('ImplicitDeny');
    expect(run({ request: req('sts:AssumeRole', role, foreign, { 'sts:ExternalId': 'abc123' }), resourcePolicy: t, identityPolicies }).decision).toBe('Allow');
  });
});

describe('bad input', () => {
  it('throws a clean error for an unusable request or policy', () => {
    expect(() => evaluate({ request: { action: '', resource: '*' } })).toThrow(EvaluationInputError);
    expect(() => evaluate({ request: req('s3:GetObject'), identityPolicies: [{ name: 'x', policy: '{"Statement": [' }] })).toThrow(EvaluationInputError);
    expect(() => evaluate(null as unknown as EvaluationInput)).toThrow(EvaluationInputError);
  });
  it('ignores malformed statements but evaluates the rest', () => {
    const policy = { Version: '2012-10-17', Statement: [null, { Effect: 'Allow', Action: [42], Resource: '*' }, allow('s3:GetObject')] };
    expect(run({ request: req('s3:GetObject'), identityPolicies: [{ name: 'p', policy }] }).decision).toBe('Allow');
  });
});

/** Behaviours the AWS documentation states explicitly; each test cites its page. */
describe('evaluator against the AWS documentation', () => {
  const bob = `arn:aws:iam::${ACCOUNT}:user/bob`;
  const root = `arn:aws:iam::${ACCOUNT}:root`;
  const npDeny = (NotPrincipal: unknown) => ({ name: 'bucket', policy: doc(deny('s3:*', '*', { NotPrincipal }), allow('s3:*', '*', { Principal: { AWS: root } })) });
  const boundary = { name: 'boundary', policy: doc(allow('s3:*')) };

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
  // "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
  // permissions boundary policy attached, regardless of the values specified in the NotPrincipal element."
  it('a NotPrincipal Deny always denies a principal that has a permissions boundary', () => {
    const resourcePolicy = npDeny({ AWS: [alice, root] });
    expect(run({ request: req('s3:GetObject', object, alice), resourcePolicy, identityPolicies: id(allow('*')) }).decision).toBe('Allow');
    const withBoundary = run({ request: req('s3:GetObject', object, alice), resourcePolicy, identityPolicies: id(allow('*')), permissionsBoundary: boundary });
    expect(withBoundary.decision).toBe('ExplicitDeny');
    // A NotPrincipal Allow is not affected (the rule is about Deny), and the boundary still limits.
    const npAllow = { name: 'bucket', policy: doc(allow('s3:GetObject', '*', { NotPrincipal: { AWS: bob } })) };
    expect(run({ request: req('s3:GetObject', object, alice), resourcePolicy: npAllow, permissionsBoundary: boundary }).decision).toBe('Allow');
  });

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
  // "you must also specify the account ARN of the not-denied principal. Otherwise, the policy might
  // deny access to the entire account": AWS checks the account, then the role, then the session, so
  // listing only the account exempts the account itself, not its users, roles or sessions.
  it('an account ARN in NotPrincipal exempts the account root only, not its other principals', () => {
    const resourcePolicy = npDeny({ AWS: root });
    expect(run({ request: req('s3:GetObject', object, alice), resourcePolicy, identityPolicies: id(allow('*')) }).decision).toBe('ExplicitDeny');
    expect(run({ request: req('s3:GetObject', object, session), resourcePolicy, identityPolicies: id(allow('*')) }).decision).toBe('ExplicitDeny');
    expect(run({ request: req('s3:GetObject', object, root), resourcePolicy, identityPolicies: id(allow('*')) }).decision).toBe('Allow');
    const bare = npDeny({ AWS: ACCOUNT });
    expect(run({ request: req('s3:GetObject', object, alice), resourcePolicy: bare, identityPolicies: id(allow('*')) }).decision).toBe('ExplicitDeny');
    // Naming the principal itself (with its account, as the page recommends) exempts it.
    expect(run({ request: req('s3:GetObject', object, alice), resourcePolicy: npDeny({ AWS: [alice, root] }), identityPolicies: id(allow('*')) }).decision).toBe('Allow');
    expect(run({ request: req('s3:GetObject', object, session), resourcePolicy: npDeny({ AWS: [devRole, root] }), identityPolicies: id(allow('*')) }).decision).toBe('Allow');
  });

  // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
  // "No permissions are required to perform this operation. If an administrator attaches a policy to
  // your identity that explicitly denies access to the sts:GetCallerIdentity action, you can still
  // perform this operation."
  it('sts:GetCallerIdentity needs no permission and cannot be denied', () => {
    const request = { principal: alice, action: 'sts:GetCallerIdentity', resource: '*' };
    expect(run({ request }).decision).toBe('Allow');
    expect(run({ request, identityPolicies: id(deny('sts:*')), scps: [[{ name: 'scp', policy: doc(deny('*')) }]] }).decision).toBe('Allow');
    expect(run({ request: { action: 'sts:GetCallerIdentity', resource: '*' } }).decision).toBe('ImplicitDeny');
    expect(run({ request: { ...request, action: 'sts:GetSessionToken' }, identityPolicies: id(deny('sts:*')) }).decision).toBe('ExplicitDeny');
  });
});
