import { describe, expect, it } from 'vitest';
import { parseArn } from '../../shared/policy/arn.ts';
import { actionInfo, actionInfoOf, catalogAvailable, conditionKeyType } from '../../shared/policy/catalog.ts';
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
});
