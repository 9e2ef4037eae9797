import { describe, expect, it } from 'vitest';
import { compiledPolicy } from '../../shared/policy/compile.ts';
import { evaluate, parsePolicy } from '../../shared/policy/index.ts';
import type { EvaluationInput } from '../../shared/policy/index.ts';

const ACCOUNT = '111122223333';
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;

function readBucket(bucket: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Read', Effect: 'Allow', Action: ['s3:GetObject', 's3:List*'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] },
      { Sid: 'NoSecrets', Effect: 'Deny', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/secret/*` },
    ],
  };
}

function ask(policy: unknown, resource: string, action = 's3:GetObject'): string {
  const input: EvaluationInput = {
    request: { principal: ALICE, action, resource, resourceAccount: ACCOUNT },
    identityPolicies: [{ name: 'p', policy }],
  };
  return evaluate(input).decision;
}

describe('compiled-policy cache: never a stale answer', () => {
  it('compiles a document once and serves the same compilation for the same object', () => {
    const doc = readBucket('reports');
    expect(ask(doc, 'arn:aws:s3:::reports/2026/q4.csv')).toBe('Allow');
    const first = compiledPolicy(doc);
    expect(compiledPolicy(doc)).toBe(first);
    expect(ask(doc, 'arn:aws:s3:::reports/secret/key.pem')).toBe('ExplicitDeny');
    expect(ask(doc, 'arn:aws:s3:::payroll/2026.csv')).toBe('ImplicitDeny');
  });

  it('a document cannot change behind the cache: mutation after evaluation throws, the answer stays', () => {
    const doc = readBucket('reports');
    expect(ask(doc, 'arn:aws:s3:::payroll/2026.csv')).toBe('ImplicitDeny');
    const statements = doc['Statement'] as Array<Record<string, unknown>>;
    const read = statements[0] as Record<string, unknown>;
    // Top level, a statement, and a nested array are all frozen (ESM test code is strict: TypeError).
    expect(() => {
      doc['Statement'] = [];
    }).toThrow(TypeError);
    expect(() => {
      read['Resource'] = '*';
    }).toThrow(TypeError);
    expect(() => (read['Resource'] as string[]).push('arn:aws:s3:::payroll/*')).toThrow(TypeError);
    expect(() => statements.pop()).toThrow(TypeError);
    expect(ask(doc, 'arn:aws:s3:::payroll/2026.csv')).toBe('ImplicitDeny');
    expect(ask(doc, 'arn:aws:s3:::reports/secret/key.pem')).toBe('ExplicitDeny');
    // The way to change a policy: a new object, compiled afresh.
    const widened = structuredClone(readBucket('reports'));
    ((widened['Statement'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>)['Resource'] = '*';
    expect(ask(widened, 'arn:aws:s3:::payroll/2026.csv')).toBe('Allow');
    expect(compiledPolicy(widened)).not.toBe(compiledPolicy(doc));
  });

  it('normalised policies are frozen too (the analyzer passes parsed policies)', () => {
    const { policy } = parsePolicy(readBucket('reports'));
    expect(ask(policy, 'arn:aws:s3:::reports/a')).toBe('Allow');
    expect(() => policy.statements.splice(0, 1)).toThrow(TypeError);
    expect(() => (policy.statements[1]?.resource as string[]).push('*')).toThrow(TypeError);
    expect(ask(policy, 'arn:aws:s3:::reports/a')).toBe('Allow');
  });

  it('different objects with equal text are compiled separately and answer alike; a different policy is never served another one\'s compilation', () => {
    const a = readBucket('reports');
    const b = readBucket('reports');
    const other = readBucket('payroll');
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(compiledPolicy(a)).not.toBe(compiledPolicy(b));
    for (const resource of ['arn:aws:s3:::reports/x', 'arn:aws:s3:::reports/secret/x', 'arn:aws:s3:::payroll/x']) {
      expect(ask(a, resource)).toBe(ask(b, resource));
    }
    expect(ask(other, 'arn:aws:s3:::payroll/x')).toBe('Allow');
    expect(ask(a, 'arn:aws:s3:::payroll/x')).toBe('ImplicitDeny');
  });

  it('JSON text is cached by its string: equal text shares one compilation, other text gets its own', () => {
    const text = JSON.stringify(readBucket('reports'));
    const same = JSON.parse(JSON.stringify(text)) as string;
    expect(compiledPolicy(text)).toBe(compiledPolicy(same));
    expect(ask(text, 'arn:aws:s3:::reports/x')).toBe('Allow');
    const otherText = JSON.stringify(readBucket('payroll'));
    expect(ask(otherText, 'arn:aws:s3:::reports/x')).toBe('ImplicitDeny');
    expect(ask(otherText, 'arn:aws:s3:::payroll/x')).toBe('Allow');
    expect(ask(text, 'arn:aws:s3:::payroll/x')).toBe('ImplicitDeny');
  });

  it('a broken document is not cached: it is refused every time', () => {
    const broken = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"';
    expect(() => ask(broken, 'arn:aws:s3:::reports/x')).toThrow(/invalid JSON/);
    expect(() => ask(broken, 'arn:aws:s3:::reports/x')).toThrow(/invalid JSON/);
    expect(() => compiledPolicy(broken)).toThrow(/invalid JSON/);
  });
});
