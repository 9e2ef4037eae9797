import { describe, expect, it } from 'vitest';
import { analyze, PolicyParseError, parsePolicy, validatePolicy } from '../../shared/policy/index.ts';
import { policySize } from '../../shared/policy/parse.ts';

const codes = (input: unknown, kind?: Parameters<typeof validatePolicy>[1]) => validatePolicy(input, kind).issues.map((i) => i.code);

describe('parsePolicy', () => {
  const doc = { Version: '2012-10-17', Id: 'x', Statement: { Sid: 'One', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': true } } } };
  it('accepts an object, a JSON string and a URL-encoded JSON string alike', () => {
    const a = parsePolicy(doc).policy;
    const b = parsePolicy(JSON.stringify(doc, null, 2)).policy;
    const c = parsePolicy(encodeURIComponent(JSON.stringify(doc))).policy;
    expect(b.statements).toEqual(a.statements);
    expect(c.statements).toEqual(a.statements);
    expect(a.statements[0]).toMatchObject({ sid: 'One', effect: 'Allow', action: ['s3:GetObject'], resource: ['arn:aws:s3:::b/*'], conditions: [{ operator: 'Bool', key: 'aws:SecureTransport', values: ['true'] }] });
    expect(a.version).toBe('2012-10-17');
    expect(a.id).toBe('x');
  });
  it('normalises principals', () => {
    const p = parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }, { Effect: 'Allow', Principal: { AWS: '111122223333', Service: ['ec2.amazonaws.com'] }, NotPrincipal: undefined, Action: 's3:*', Resource: '*' }] }).policy;
    expect(p.statements[0]?.principal).toEqual({ '*': ['*'] });
    expect(p.statements[1]?.principal).toEqual({ AWS: ['111122223333'], Service: ['ec2.amazonaws.com'] });
  });
  it('reports invalid JSON with its position', () => {
    try {
      parsePolicy('{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PolicyParseError);
      expect((error as PolicyParseError).line).toBe(3);
      expect((error as PolicyParseError).message).toMatch(/line 3, column \d+/);
    }
  });
  it('rejects non-objects and deep nesting cleanly', () => {
    expect(() => parsePolicy('[1,2]')).toThrow(PolicyParseError);
    expect(() => parsePolicy(null)).toThrow(PolicyParseError);
    expect(() => parsePolicy('%E0%A4%A')).toThrow(PolicyParseError);
    const deep = `{"Statement":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(() => parsePolicy(deep)).toThrow(/nests deeper/);
  });
  it('a 1 MB document is parsed (and judged too large), not a hang', () => {
    const Statement = Array.from({ length: 9000 }, (_, i) => ({ Sid: `S${i}`, Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-${i}/${'k'.repeat(60)}` }));
    const text = JSON.stringify({ Version: '2012-10-17', Statement });
    expect(text.length).toBeGreaterThan(1_000_000);
    const result = validatePolicy(text, { kind: 'managed' });
    expect(result.issues.map((i) => i.code)).toContain('policy-too-large');
  });
  it('measures the size as IAM counts it (whitespace outside strings excluded), which for the re-serialised text is its length', () => {
    const spaced = '{\n  "Version": "2012-10-17",\n\t"Statement": [ { "Effect" : "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::a b/\\"q\\"é" } ]\r\n}';
    expect(policySize(spaced)).toBeLessThan(spaced.length);
    for (const [input, source] of [[spaced, spaced], [encodeURIComponent(spaced), spaced], [JSON.parse(spaced) as unknown, spaced], [doc, JSON.stringify(doc)]] as const) {
      const { policy, text } = parsePolicy(input);
      expect(policy.size).toBe(policySize(text));
      expect(policy.size).toBe(policySize(source));
    }
  });
  it('keeps structural problems as issues and leaves the statement out', () => {
    const { policy, issues } = parsePolicy({ Version: '2012-10-17', Statement: [null, { Action: 's3:*', Resource: '*' }, { Effect: 'Allow', Action: [1], Resource: '*' }, { Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
    expect(policy.statements).toHaveLength(1);
    expect(issues.map((i) => i.code)).toEqual(['invalid-statement', 'missing-effect', 'invalid-element-type']);
  });
  it('gives every statement the same properties in one order (absent ones undefined), and the JSON of a statement built element by element', () => {
    const { policy } = parsePolicy({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Sid: 'Two', Effect: 'Deny', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::b', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'sts:AssumeRole' },
      ],
    });
    const keys = ['index', 'effect', 'conditions', 'sid', 'action', 'notAction', 'resource', 'notResource', 'principal', 'notPrincipal'];
    for (const s of policy.statements) expect(Object.keys(s)).toEqual(keys);
    // JSON leaves the undefined ones out: the text of the statement with only its elements, added in that order.
    const [one, two, three] = policy.statements;
    expect(JSON.stringify(one)).toBe(JSON.stringify({ index: 0, effect: 'Allow', conditions: [], action: ['s3:GetObject'], resource: ['*'] }));
    expect(JSON.stringify(two)).toBe(JSON.stringify({ index: 1, effect: 'Deny', conditions: two?.conditions, sid: 'Two', notAction: ['iam:*'], notResource: ['arn:aws:s3:::b'] }));
    expect(JSON.stringify(three)).toBe(JSON.stringify({ index: 2, effect: 'Allow', conditions: [], action: ['sts:AssumeRole'], principal: three?.principal }));
  });
});

describe('validatePolicy (Access Analyzer style)', () => {
  const ok = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] };
  it('a good policy is valid with no issues', () => {
    expect(validatePolicy(ok)).toMatchObject({ valid: true, issues: [] });
  });
  it('invalid JSON is an error with position, never a throw', () => {
    const r = validatePolicy('{"Version": "2012-10-17", "Statement": [}');
    expect(r.valid).toBe(false);
    expect(r.issues[0]?.code).toBe('invalid-json');
    expect(r.issues[0]?.message).toMatch(/line 1/);
  });
  it('missing or bad Effect', () => {
    expect(codes({ Version: '2012-10-17', Statement: [{ Action: 's3:*', Resource: '*' }] })).toContain('missing-effect');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'allow', Action: 's3:*', Resource: '*' }] })).toContain('invalid-effect');
  });
  it('bad action syntax, unknown service and unknown action (from the iam-data catalogue)', () => {
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3 GetObject', Resource: '*' }] })).toContain('invalid-action');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'notaservice:Get', Resource: '*' }] })).toContain('unknown-service');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObjekt', Resource: '*' }] })).toContain('unknown-action');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Zzz*', Resource: '*' }] })).toContain('unknown-action');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:get*', Resource: '*' }] })).not.toContain('unknown-action');
  });
  it('Resource that cannot match the action', () => {
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:ec2:*:*:instance/*' }] })).toContain('resource-mismatch');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: 'arn:aws:s3:::b' }] })).toContain('resource-mismatch');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::*:role/app-*' }] })).not.toContain('resource-mismatch');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'bucket/*' }] })).toContain('invalid-resource');
  });
  it('unknown condition operators', () => {
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEqualz: { 'aws:username': 'a' } } }] })).toContain('unknown-operator');
  });
  it('policy variables under Version 2008-10-17 or without Version', () => {
    const c = codes({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}/*' }] });
    expect(c).toContain('variable-in-old-version');
    expect(codes({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] })).toContain('missing-version');
  });
  it('size quotas per kind (non-whitespace characters for IAM)', () => {
    const big = (n: number) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: Array.from({ length: n }, (_, i) => `arn:aws:s3:::bucket-${String(i).padStart(5, '0')}/*`) }] });
    const doc = big(120); // ~3.5k characters
    expect(codes(doc, { kind: 'managed' })).not.toContain('policy-too-large');
    expect(codes(doc, { kind: 'inline-user' })).toContain('policy-too-large');
    expect(codes(doc, { kind: 'inline-role' })).not.toContain('policy-too-large');
    expect(codes(big(300), { kind: 'managed' })).toContain('policy-too-large');
    expect(codes(big(300), { kind: 'kms-key' })).not.toContain('policy-too-large');
    // Whitespace does not count.
    expect(codes(JSON.stringify(big(200), null, 8), { kind: 'managed' })).not.toContain('policy-too-large');
  });
  it('kind rules: Principal required in resource policies, forbidden in identity policies; SCPs take the full grammar', () => {
    expect(codes(ok, { kind: 'resource' })).toContain('missing-principal');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }] })).toContain('unsupported-principal');
    // Today's SCP grammar (AWS Organizations "SCP syntax": Condition, NotAction, Resource and NotResource
    // are supported with Allow and Deny) accepts what the old checks rejected.
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
    const scp = (s: Record<string, unknown>) => codes({ Version: '2012-10-17', Statement: [s] }, { kind: 'scp' });
    expect(scp({ Effect: 'Deny', Action: 's3:*', NotResource: 'arn:aws:s3:::b' })).toEqual([]);
    expect(scp({ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b/*', Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } })).toEqual([]);
    expect(scp({ Effect: 'Allow', Action: 's3:*Object', Resource: '*' })).toEqual([]);
  });
  it('ECR repository policies have no Resource element and are valid; other resource policies need one', () => {
    const ecr = { Version: '2012-10-17', Statement: [{ Sid: 'pull', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] }] };
    expect(codes(ecr, { kind: 'resource' })).not.toContain('missing-resource');
    expect(analyze(ecr, { kind: 'resource', account: '444455556666' }).findings.map((f) => f.id)).not.toContain('invalid-policy');
    const sqs = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: ['sqs:SendMessage', 'ecr:BatchGetImage'] }] };
    expect(codes(sqs, { kind: 'resource' })).toContain('missing-resource');
  });
  it('characters IAM rejects (unicode tricks) are an error', () => {
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucкet/*' }] })).toContain('invalid-characters');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject\u200b', Resource: '*' }] })).toContain('invalid-characters');
  });
  it('duplicate Sids and unknown elements', () => {
    expect(codes({ Version: '2012-10-17', Statement: [{ Sid: 'a', Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Sid: 'a', Effect: 'Deny', Action: 's3:*', Resource: '*' }] })).toContain('duplicate-sid');
    expect(codes({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Actions: 's3:*', Resource: '*' }] })).toContain('unknown-element');
  });
});
