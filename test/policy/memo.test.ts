import { describe, expect, it } from 'vitest';
import { parseArn } from '../../shared/policy/arn.ts';
import { actionInfo, actionInfoOf, catalogAvailable, conditionKeyType } from '../../shared/policy/catalog.ts';
import { analyzePolicyChange } from '../../shared/policy/change-analysis.ts';
import { parseOperator } from '../../shared/policy/conditions.ts';

/** The memoised look-ups answer like the first call, and a shared answer cannot be changed by one caller. */
describe('memoised policy look-ups', () => {
  it('parseArn: same parts every time, frozen, and a non-ARN stays undefined', () => {
    const first = parseArn('arn:aws:iam::111122223333:role/path/name:with:colons');
    expect(first).toEqual({ partition: 'aws', service: 'iam', region: '', account: '111122223333', resource: 'role/path/name:with:colons' });
    expect(parseArn('arn:aws:iam::111122223333:role/path/name:with:colons')).toEqual(first);
    expect(() => {
      (first as { account: string }).account = '444455556666';
    }).toThrow(TypeError);
    expect(parseArn('arn:aws:iam::111122223333:role/path/name:with:colons')?.account).toBe('111122223333');
    expect(parseArn('not-an-arn')).toBeUndefined();
    expect(parseArn('not-an-arn')).toBeUndefined();
  });

  it('parseOperator: case-insensitive, frozen, unknown operators stay undefined', () => {
    expect(parseOperator('ForAnyValue:StringLikeIfExists')).toEqual({ set: 'ForAnyValue', base: 'stringlike', ifExists: true });
    const op = parseOperator('StringEquals');
    expect(Object.isFrozen(op)).toBe(true);
    expect(parseOperator('stringequals')).toEqual(op);
    expect(parseOperator('StringEqualz')).toBeUndefined();
    expect(parseOperator('StringEqualz')).toBeUndefined();
    expect(parseOperator('NullIfExists')).toBeUndefined();
  });

  it.skipIf(!catalogAvailable())('a catalogue entry is frozen with its ARN formats, its fields in one order', () => {
    for (const [service, name] of [['s3', 'GetObject'], ['ec2', 'RunInstances'], ['iam', 'PassRole']] as const) {
      const info = actionInfo(service, name);
      expect(Object.isFrozen(info)).toBe(true);
      expect(Object.isFrozen(info?.arnFormats)).toBe(true);
      expect(Object.keys(info ?? {})).toEqual(['service', 'name', 'arnFormats', 'conditionKeys', 'accessLevel']);
    }
  });
  it.skipIf(!catalogAvailable())('actionInfoOf answers like actionInfo, by the whole string, in any spelling', () => {
    expect(actionInfoOf('s3:GetObject')).toBe(actionInfo('s3', 'GetObject'));
    expect(actionInfoOf('S3:getobject')).toBe(actionInfo('s3', 'GetObject'));
    expect(actionInfoOf('s3:GetObject')?.arnFormats.length).toBeGreaterThan(0);
    expect(actionInfoOf('s3:NoSuchAction')).toBeUndefined();
    expect(actionInfoOf('s3:NoSuchAction')).toBeUndefined();
    expect(conditionKeyType('s3:prefix')).toBe(conditionKeyType('s3:prefix'));
    expect(conditionKeyType('aws:SourceIp')).toBe('IPAddress');
    expect(conditionKeyType('nosuchservice:key')).toBeUndefined();
  });

  it('analyzePolicyChange: a document judged again gives an equal analysis, per kind and account, and a caller changing one answer changes no other', () => {
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }, { Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] };
    const change = (doc: unknown, kind = 'identity', type = 'role') => ({ kind, action: 'iam:PutRolePolicy', target: { type, name: 'r' }, document: doc });
    const first = analyzePolicyChange(change(document), '111122223333');
    expect(first?.status).toBe('analysed');
    expect(first?.findings.length).toBeGreaterThan(0);
    // The same document parsed again (a new object, as from the next record): the same answer.
    const again = analyzePolicyChange(change(JSON.parse(JSON.stringify(document))), '111122223333');
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    // A caller adding to or changing its answer (the version fields, bounds) changes no later answer.
    (again as { versionId?: string }).versionId = 'v9';
    (again?.findings[0] as { message: string }).message = 'changed';
    expect(analyzePolicyChange(change(document), '111122223333')).toEqual(first);
    // Kind and account are part of the key: a trust policy or another account is judged on its own.
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'sts:AssumeRole' }] };
    const own = analyzePolicyChange(change(trust, 'trust'), '444455556666');
    const foreign = analyzePolicyChange(change(trust, 'trust'), '111122223333');
    expect(foreign?.findings.map((f) => f.id)).toContain('cross-account-access');
    expect(own?.findings.map((f) => f.id)).not.toContain('cross-account-access');
    expect(analyzePolicyChange(change(trust, 'trust'), '111122223333')).toEqual(foreign);
  });
});
