import { describe, expect, it } from 'vitest';
import { PatternError, inCidr, matchesPattern } from '../../shared/pipeline/event-pattern.ts';

// The generated detect rules and their routing are tested in event-rules.test.ts and routing.test.ts.

const event = {
  source: 'aws.ec2',
  'detail-type': 'AWS API Call via CloudTrail',
  detail: {
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    sourceIPAddress: '10.0.0.15',
    awsRegion: 'eu-west-1',
    userIdentity: { type: 'IAMUser', userName: 'Alice' },
    count: 5,
    ratio: 0.5,
    nothing: null,
    flag: false,
    tags: ['prod', 'pci'],
    ipv6: '2001:db8::1',
    empty: [],
    resources: [
      { type: 'a', id: '1' },
      { type: 'b', id: '2' },
    ],
  },
};

/** [description, pattern, expected] — from the documented operator semantics. */
const CASES: Array<[string, Record<string, unknown>, boolean]> = [
  ['exact string', { source: ['aws.ec2'] }, true],
  ['exact string, other value', { source: ['aws.iam'] }, false],
  ['any of several values', { source: ['aws.iam', 'aws.ec2'] }, true],
  ['nested exact', { detail: { eventSource: ['ec2.amazonaws.com'] } }, true],
  ['exact number', { detail: { count: [5] } }, true],
  ['exact number as string does not match', { detail: { count: ['5'] } }, false],
  ['exact boolean', { detail: { flag: [false] } }, true],
  ['null matches null', { detail: { nothing: [null] } }, true],
  ['null does not match a missing field', { detail: { missing: [null] } }, false],
  ['array event value: any element matches', { detail: { tags: ['pci'] } }, true],
  ['array event value: none matches', { detail: { tags: ['dev'] } }, false],
  ['missing field does not match a value', { detail: { missing: ['x'] } }, false],
  ['prefix', { detail: { eventName: [{ prefix: 'Authorize' }] } }, true],
  ['prefix miss', { detail: { eventName: [{ prefix: 'Revoke' }] } }, false],
  ['prefix is case-sensitive', { detail: { eventName: [{ prefix: 'authorize' }] } }, false],
  ['prefix equals-ignore-case', { detail: { eventName: [{ prefix: { 'equals-ignore-case': 'authorize' } }] } }, true],
  ['suffix', { detail: { eventName: [{ suffix: 'Ingress' }] } }, true],
  ['suffix miss', { detail: { eventName: [{ suffix: 'Egress' }] } }, false],
  ['suffix equals-ignore-case', { detail: { eventName: [{ suffix: { 'equals-ignore-case': 'INGRESS' } }] } }, true],
  ['equals-ignore-case', { detail: { userIdentity: { userName: [{ 'equals-ignore-case': 'alice' }] } } }, true],
  ['equals-ignore-case miss', { detail: { userIdentity: { userName: [{ 'equals-ignore-case': 'bob' }] } } }, false],
  ['anything-but value', { detail: { awsRegion: [{ 'anything-but': 'us-east-1' }] } }, true],
  ['anything-but value hit', { detail: { awsRegion: [{ 'anything-but': 'eu-west-1' }] } }, false],
  ['anything-but list', { detail: { awsRegion: [{ 'anything-but': ['us-east-1', 'eu-west-1'] }] } }, false],
  ['anything-but prefix', { detail: { awsRegion: [{ 'anything-but': { prefix: 'us-' } }] } }, true],
  ['anything-but prefix hit', { detail: { awsRegion: [{ 'anything-but': { prefix: 'eu-' } }] } }, false],
  ['anything-but suffix', { detail: { awsRegion: [{ 'anything-but': { suffix: '-2' } }] } }, true],
  ['anything-but equals-ignore-case', { detail: { userIdentity: { userName: [{ 'anything-but': { 'equals-ignore-case': ['ALICE'] } }] } } }, false],
  ['anything-but wildcard', { detail: { awsRegion: [{ 'anything-but': { wildcard: 'eu-*' } }] } }, false],
  ['anything-but on a missing field does not match', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
  ['anything-but on an array: some value differs', { detail: { tags: [{ 'anything-but': 'prod' }] } }, true],
  ['numeric range', { detail: { count: [{ numeric: ['>', 0, '<=', 5] }] } }, true],
  ['numeric range miss', { detail: { count: [{ numeric: ['>', 5] }] } }, false],
  ['numeric equals', { detail: { ratio: [{ numeric: ['=', 0.5] }] } }, true],
  ['numeric on a string does not match', { detail: { eventName: [{ numeric: ['>', 0] }] } }, false],
  ['exists true', { detail: { sourceIPAddress: [{ exists: true }] } }, true],
  ['exists true on a missing field', { detail: { missing: [{ exists: true }] } }, false],
  ['exists false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
  ['exists false on a present field', { detail: { count: [{ exists: false }] } }, false],
  ['exists true on an object (not a leaf) does not match', { detail: { userIdentity: [{ exists: true }] } }, false],
  ['exists false under a missing parent', { detail: { absentParent: { child: [{ exists: false }] } } }, true],
  ['wildcard', { detail: { eventName: [{ wildcard: 'Authorize*Ingress' }] } }, true],
  ['wildcard miss', { detail: { eventName: [{ wildcard: 'Revoke*' }] } }, false],
  ['wildcard with regex metacharacters stays literal', { detail: { sourceIPAddress: [{ wildcard: '10.0.0.1?' }] } }, false],
  ['cidr v4', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, true],
  ['cidr v4 miss', { detail: { sourceIPAddress: [{ cidr: '10.0.1.0/24' }] } }, false],
  ['cidr v6', { detail: { ipv6: [{ cidr: '2001:db8::/32' }] } }, true],
  ['cidr v6 miss', { detail: { ipv6: [{ cidr: '2001:db9::/32' }] } }, false],
  ['cidr family mismatch', { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } }, false],
  ['$or: one branch matches', { $or: [{ source: ['aws.iam'] }, { detail: { eventName: ['AuthorizeSecurityGroupIngress'] } }] }, true],
  ['$or: no branch matches', { $or: [{ source: ['aws.iam'] }, { detail: { eventName: ['CreateUser'] } }] }, false],
  ['$or AND another field', { source: ['aws.iam'], $or: [{ detail: { count: [5] } }, { detail: { flag: [false] } }] }, false],
  ['several fields: all must match', { source: ['aws.ec2'], detail: { eventName: ['AuthorizeSecurityGroupIngress'], awsRegion: ['us-east-1'] } }, false],
  ['mixed matchers in one array', { detail: { awsRegion: ['us-east-1', { prefix: 'eu-' }] } }, true],
  // Where a matcher written from the docs alone disagreed with AWS Event Ruler (test/pipeline/event-ruler.test.ts):
  ['exists false on an empty array (no leaf there)', { detail: { empty: [{ exists: false }] } }, true],
  ['exists false on an object value (no leaf there)', { detail: { userIdentity: [{ exists: false }] } }, true],
  ['anything-but on an object value does not match (no leaf there)', { detail: { userIdentity: [{ 'anything-but': 'x' }] } }, false],
  ['nested pattern over an array of objects', { detail: { resources: { type: ['b'] } } }, true],
  ['array consistency: both fields from one element', { detail: { resources: { type: ['a'], id: ['1'] } } }, true],
  ['array consistency: fields from different elements do not match', { detail: { resources: { type: ['a'], id: ['2'] } } }, false],
  ['exists false mixed with a matcher, parent missing', { detail: { absentParent: { child: [{ prefix: 'x' }, { exists: false }] } } }, true],
  ['exists false mixed with a matcher, parent a scalar', { detail: { eventName: { child: [{ prefix: 'x' }, { exists: false }] } } }, true],
];

describe('EventBridge pattern matcher: documented operators', () => {
  for (const [label, pattern, expected] of CASES) {
    it(`${expected ? 'matches' : 'does not match'}: ${label}`, () => {
      expect(matchesPattern(pattern, event)).toBe(expected);
    });
  }

  it.each([
    ['an empty array', { source: [] }],
    ['a scalar instead of an array', { source: 'aws.ec2' }],
    ['an unknown operator', { source: [{ regex: '.*' }] }],
    ['two operators in one filter', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['a bad numeric', { detail: { count: [{ numeric: ['>>', 1] }] } }],
    ['a bad cidr', { detail: { sourceIPAddress: [{ cidr: '10.0.0.0' }] } }],
    ['a $or with one branch', { $or: [{ source: ['aws.ec2'] }] }],
    ['an invalid matcher after one that already matched', { source: ['aws.ec2', { prefx: 'a' }] }],
    ['an invalid field after one that already failed', { source: ['aws.iam'], detail: { count: [{ numeric: ['>>', 1] }] } }],
  ])('rejects %s like EventBridge does', (_label, pattern) => {
    expect(() => matchesPattern(pattern, event)).toThrow(PatternError);
  });

  it('cidr handles boundaries', () => {
    expect(inCidr('192.168.1.255', '192.168.1.0/24')).toBe(true);
    expect(inCidr('192.168.2.0', '192.168.1.0/24')).toBe(false);
    expect(inCidr('8.8.8.8', '0.0.0.0/0')).toBe(true);
    expect(inCidr('not-an-ip', '10.0.0.0/8')).toBe(false);
  });
});
