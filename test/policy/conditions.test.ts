import { describe, expect, it } from 'vitest';
import { evaluateClause, isKnownOperator, parseOperator } from '../../shared/policy/conditions.ts';
import { cidrContains, parseCidr } from '../../shared/policy/ip.ts';
import type { ConditionClause } from '../../shared/policy/types.ts';

const ctx = (values: Record<string, string | string[]>) => {
  const map = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]));
  return (key: string) => map.get(key.toLowerCase());
};
const clause = (operator: string, key: string, values: string | string[]): ConditionClause => ({ operator, key, values: Array.isArray(values) ? values : [values] });
const check = (operator: string, key: string, values: string | string[], context: Record<string, string | string[]>, substitute = true) =>
  evaluateClause(clause(operator, key, values), ctx(context), substitute);

describe('String operators', () => {
  it('StringEquals is exact and case-sensitive; values are ORed', () => {
    expect(check('StringEquals', 'aws:username', 'alice', { 'aws:username': 'alice' })).toBe(true);
    expect(check('StringEquals', 'aws:username', 'Alice', { 'aws:username': 'alice' })).toBe(false);
    expect(check('StringEquals', 'aws:username', ['bob', 'alice'], { 'aws:username': 'alice' })).toBe(true);
  });
  it('condition key names are case-insensitive', () => {
    expect(check('StringEquals', 'AWS:UserName', 'alice', { 'aws:username': 'alice' })).toBe(true);
  });
  it('StringNotEquals is true when no value matches and when the key is missing', () => {
    expect(check('StringNotEquals', 'k', ['a', 'b'], { k: 'c' })).toBe(true);
    expect(check('StringNotEquals', 'k', ['a', 'b'], { k: 'a' })).toBe(false);
    expect(check('StringNotEquals', 'k', 'a', {})).toBe(true);
  });
  it('IgnoreCase variants', () => {
    expect(check('StringEqualsIgnoreCase', 'k', 'ABC', { k: 'abc' })).toBe(true);
    expect(check('StringNotEqualsIgnoreCase', 'k', 'ABC', { k: 'abc' })).toBe(false);
  });
  it('StringLike / StringNotLike use * and ?', () => {
    expect(check('StringLike', 's3:prefix', 'home/*', { 's3:prefix': 'home/alice/x' })).toBe(true);
    expect(check('StringLike', 's3:prefix', 'home/?', { 's3:prefix': 'home/ab' })).toBe(false);
    expect(check('StringNotLike', 's3:prefix', 'home/*', { 's3:prefix': 'tmp/x' })).toBe(true);
    expect(check('StringNotLike', 's3:prefix', 'home/*', {})).toBe(true);
  });
  it('missing key makes positive operators false', () => {
    expect(check('StringEquals', 'k', 'a', {})).toBe(false);
    expect(check('StringLike', 'k', '*', {})).toBe(false);
  });
});

describe('policy variables in condition values', () => {
  it('substitutes ${aws:username} and ${aws:PrincipalTag/...}', () => {
    expect(check('StringLike', 's3:prefix', 'home/${aws:username}/*', { 's3:prefix': 'home/alice/a', 'aws:username': 'alice' })).toBe(true);
    expect(check('StringEquals', 'aws:ResourceTag/team', '${aws:PrincipalTag/team}', { 'aws:ResourceTag/team': 'red', 'aws:PrincipalTag/team': 'red' })).toBe(true);
    expect(check('StringEquals', 'aws:ResourceTag/team', '${aws:PrincipalTag/team}', { 'aws:ResourceTag/team': 'red', 'aws:PrincipalTag/team': 'blue' })).toBe(false);
  });
  it('an unresolvable variable never matches', () => {
    expect(check('StringEquals', 'k', '${aws:PrincipalTag/none}', { k: '' })).toBe(false);
  });
  it('default values apply when the key is absent', () => {
    expect(check('StringEquals', 'k', "${aws:PrincipalTag/team, 'none'}", { k: 'none' })).toBe(true);
  });
  it('${*}, ${?} and ${$} are literal characters', () => {
    expect(check('StringLike', 'k', 'a${*}', { k: 'a*' })).toBe(true);
    expect(check('StringLike', 'k', 'a${*}', { k: 'ab' })).toBe(false);
    expect(check('StringLike', 'k', 'a${?}', { k: 'a?' })).toBe(true);
    expect(check('StringLike', 'k', 'a${?}', { k: 'ab' })).toBe(false);
    expect(check('StringEquals', 'k', 'cost${$}', { k: 'cost$' })).toBe(true);
  });
  it('Version 2008-10-17 takes ${...} literally', () => {
    expect(check('StringEquals', 'k', '${aws:username}', { k: '${aws:username}', 'aws:username': 'alice' }, false)).toBe(true);
    expect(check('StringEquals', 'k', '${aws:username}', { k: 'alice', 'aws:username': 'alice' }, false)).toBe(false);
  });
});

describe('Numeric and Date operators', () => {
  it('compare numbers', () => {
    expect(check('NumericLessThan', 's3:max-keys', '10', { 's3:max-keys': '9' })).toBe(true);
    expect(check('NumericLessThan', 's3:max-keys', '10', { 's3:max-keys': '10' })).toBe(false);
    expect(check('NumericLessThanEquals', 'n', '10', { n: '10' })).toBe(true);
    expect(check('NumericGreaterThan', 'n', '1.5', { n: '2' })).toBe(true);
    expect(check('NumericGreaterThanEquals', 'n', '2', { n: '1' })).toBe(false);
    expect(check('NumericEquals', 'n', '3', { n: '3.0' })).toBe(true);
    expect(check('NumericNotEquals', 'n', '3', { n: '4' })).toBe(true);
  });
  it('non-numbers never match', () => {
    expect(check('NumericEquals', 'n', '3', { n: 'three' })).toBe(false);
    expect(check('NumericLessThan', 'n', 'x', { n: '1' })).toBe(false);
  });
  it('compare dates in ISO 8601 and epoch seconds', () => {
    expect(check('DateLessThan', 'aws:CurrentTime', '2030-01-01T00:00:00Z', { 'aws:CurrentTime': '2026-11-23T10:00:00Z' })).toBe(true);
    expect(check('DateGreaterThan', 'aws:CurrentTime', '2030-01-01', { 'aws:CurrentTime': '2026-11-23T10:00:00Z' })).toBe(false);
    expect(check('DateEquals', 'aws:EpochTime', '1700000000', { 'aws:EpochTime': '2023-11-14T22:13:20Z' })).toBe(true);
    expect(check('DateNotEquals', 'd', '2020-01-01T00:00:00Z', { d: '2021-01-01T00:00:00Z' })).toBe(true);
    expect(check('DateLessThanEquals', 'd', '2020-01-01T00:00:00Z', { d: '2020-01-01T00:00:00Z' })).toBe(true);
    expect(check('DateGreaterThanEquals', 'd', '2020-01-01T00:00:00Z', { d: 'yesterday' })).toBe(false);
  });
});

describe('Bool, Binary, Null', () => {
  it('Bool compares true/false case-insensitively', () => {
    expect(check('Bool', 'aws:SecureTransport', 'false', { 'aws:SecureTransport': 'false' })).toBe(true);
    expect(check('Bool', 'aws:SecureTransport', 'true', { 'aws:SecureTransport': 'TRUE' })).toBe(true);
    expect(check('Bool', 'aws:MultiFactorAuthPresent', 'true', {})).toBe(false);
    expect(check('BoolIfExists', 'aws:MultiFactorAuthPresent', 'false', {})).toBe(true);
  });
  it('BinaryEquals compares base64 values', () => {
    expect(check('BinaryEquals', 'k', 'QmluYXJ5VmFsdWU=', { k: 'QmluYXJ5VmFsdWU=' })).toBe(true);
    expect(check('BinaryEquals', 'k', 'QmluYXJ5VmFsdWU=', { k: 'other' })).toBe(false);
  });
  it('Null tests presence', () => {
    expect(check('Null', 'aws:TokenIssueTime', 'true', {})).toBe(true);
    expect(check('Null', 'aws:TokenIssueTime', 'true', { 'aws:TokenIssueTime': 'x' })).toBe(false);
    expect(check('Null', 'aws:TokenIssueTime', 'false', { 'aws:TokenIssueTime': 'x' })).toBe(true);
    expect(check('Null', 'k', 'false', { k: [] })).toBe(false);
  });
});

describe('IpAddress / NotIpAddress', () => {
  it('IPv4 CIDR and single addresses', () => {
    expect(check('IpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '203.0.113.9' })).toBe(true);
    expect(check('IpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '203.0.114.9' })).toBe(false);
    expect(check('IpAddress', 'aws:SourceIp', '203.0.113.9', { 'aws:SourceIp': '203.0.113.9' })).toBe(true);
    expect(check('IpAddress', 'aws:SourceIp', '0.0.0.0/0', { 'aws:SourceIp': '8.8.8.8' })).toBe(true);
  });
  it('IPv6 CIDR incl. compressed and embedded IPv4 forms', () => {
    expect(check('IpAddress', 'aws:SourceIp', '2001:DB8:1234:5678::/64', { 'aws:SourceIp': '2001:db8:1234:5678::1' })).toBe(true);
    expect(check('IpAddress', 'aws:SourceIp', '2001:db8::/32', { 'aws:SourceIp': '2001:db9::1' })).toBe(false);
    expect(check('IpAddress', 'aws:SourceIp', '::ffff:0:0/96', { 'aws:SourceIp': '::ffff:192.0.2.1' })).toBe(true);
    expect(check('IpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '2001:db8::1' })).toBe(false);
  });
  it('NotIpAddress is true outside every range and when the key is missing', () => {
    expect(check('NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8', '192.168.0.0/16'], { 'aws:SourceIp': '8.8.8.8' })).toBe(true);
    expect(check('NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8'], { 'aws:SourceIp': '10.1.2.3' })).toBe(false);
    expect(check('NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8'], {})).toBe(true);
  });
  it('rejects malformed addresses and prefixes', () => {
    expect(parseCidr('300.1.1.1')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('1::2::3')).toBeUndefined();
    expect(parseCidr('::/0')).toBeDefined();
    expect(cidrContains(parseCidr('::/0')!, '2001:db8::1')).toBe(true);
  });
});

describe('Arn operators', () => {
  it('ArnEquals and ArnLike match field by field with wildcards', () => {
    expect(check('ArnLike', 'aws:SourceArn', 'arn:aws:sns:*:123456789012:*', { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:topic' })).toBe(true);
    expect(check('ArnEquals', 'aws:SourceArn', 'arn:aws:sns:us-east-1:123456789012:topic', { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:topic' })).toBe(true);
    expect(check('ArnLike', 'aws:SourceArn', 'arn:aws:sns:*:123456789012:*', { 'aws:SourceArn': 'arn:aws:sns:us-east-1:999999999999:topic' })).toBe(false);
  });
  it('ArnNotEquals / ArnNotLike are negations, true for a missing key', () => {
    expect(check('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/admin', { 'aws:PrincipalArn': 'arn:aws:iam::1:role/dev' })).toBe(true);
    expect(check('ArnNotEquals', 'aws:PrincipalArn', 'arn:aws:iam::1:role/dev', { 'aws:PrincipalArn': 'arn:aws:iam::1:role/dev' })).toBe(false);
    expect(check('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/admin', {})).toBe(true);
  });
});

describe('IfExists and set operators on multi-valued keys', () => {
  it('...IfExists is true when the key is missing, evaluated normally when present', () => {
    expect(check('StringEqualsIfExists', 'ec2:InstanceType', 't3.micro', {})).toBe(true);
    expect(check('StringEqualsIfExists', 'ec2:InstanceType', 't3.micro', { 'ec2:InstanceType': 'm5.large' })).toBe(false);
    expect(check('NumericLessThanIfExists', 'n', '5', { n: '3' })).toBe(true);
  });
  it('ForAllValues: every request value must match; vacuously true when absent', () => {
    expect(check('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team'], { 'aws:TagKeys': ['env', 'team'] })).toBe(true);
    expect(check('ForAllValues:StringEquals', 'aws:TagKeys', ['env', 'team'], { 'aws:TagKeys': ['env', 'owner'] })).toBe(false);
    expect(check('ForAllValues:StringEquals', 'aws:TagKeys', ['env'], {})).toBe(true);
  });
  it('ForAnyValue: at least one request value must match; false when absent', () => {
    expect(check('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], { 'aws:TagKeys': ['owner', 'env'] })).toBe(true);
    expect(check('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], { 'aws:TagKeys': ['owner'] })).toBe(false);
    expect(check('ForAnyValue:StringEquals', 'aws:TagKeys', ['env'], {})).toBe(false);
  });
  it('negated operators under set qualifiers apply per value', () => {
    expect(check('ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret'], { 'aws:TagKeys': ['a', 'b'] })).toBe(true);
    expect(check('ForAllValues:StringNotEquals', 'aws:TagKeys', ['secret'], { 'aws:TagKeys': ['a', 'secret'] })).toBe(false);
    expect(check('ForAnyValue:StringNotLike', 'aws:TagKeys', ['a*'], { 'aws:TagKeys': ['abc', 'xyz'] })).toBe(true);
  });
  it('a multi-valued key without a qualifier matches when any value matches', () => {
    expect(check('StringEquals', 'aws:TagKeys', 'env', { 'aws:TagKeys': ['x', 'env'] })).toBe(true);
    expect(check('StringNotEquals', 'aws:TagKeys', 'env', { 'aws:TagKeys': ['x', 'env'] })).toBe(false);
  });
});

describe('operator names', () => {
  it('knows every documented family and rejects others', () => {
    for (const op of ['StringEquals', 'StringNotEqualsIgnoreCase', 'NumericGreaterThanEqualsIfExists', 'DateLessThan', 'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddressIfExists', 'ArnNotLike', 'Null', 'ForAllValues:StringLike', 'ForAnyValue:ArnEquals']) {
      expect(isKnownOperator(op), op).toBe(true);
    }
    for (const op of ['StringEqual', 'NullIfExists', 'ForSomeValues:StringEquals', 'Numeric', '']) expect(isKnownOperator(op), op).toBe(false);
    expect(parseOperator('ForAnyValue:StringLikeIfExists')).toEqual({ set: 'ForAnyValue', base: 'stringlike', ifExists: true });
  });
  it('an unknown operator never matches', () => {
    expect(check('StringEqual', 'k', 'a', { k: 'a' })).toBe(false);
  });
});
