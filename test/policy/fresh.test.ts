import { describe, expect, it } from 'vitest';
import { FreshValues } from '../../shared/policy/fresh.ts';
import { parsePolicy } from '../../shared/policy/parse.ts';

const policy = parsePolicy({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: ['arn:aws:s3:::twfresh1/*', 'arn:aws:s3:::TWFRESH3/*'], Condition: { StringEquals: { 'aws:PrincipalAccount': '300007919113' } } }],
}).policy;

describe('FreshValues', () => {
  it('draws tokens and accounts no policy text contains (case-insensitively)', () => {
    const fresh = new FreshValues([policy]);
    expect(fresh.token('a')).toBe('twfresh2');
    expect(fresh.token('b')).toBe('twfresh4');
    expect(fresh.token('a')).toBe('twfresh2');
    expect(fresh.account('holder')).not.toBe('300007919113');
    expect(new FreshValues([parsePolicy({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }).policy]).token('a')).toBe('twfresh1');
  });

  it('a reserved role keeps its place in the order of draws, whenever it is drawn', () => {
    const immediate = new FreshValues([policy]);
    const roles = ['service', 'holder', 'target', 'name'];
    const order = roles.map((r) => immediate.token(r));
    expect(new Set(order).size).toBe(4);
    // service reserved first, drawn last: the others, drawn in the same order, get the same tokens.
    const reserved = new FreshValues([policy]);
    reserved.reserve('service');
    expect(reserved.account('holder')).toBe(immediate.account('holder'));
    expect(['holder', 'target', 'name'].map((r) => reserved.token(r))).toEqual(order.slice(1));
    expect(reserved.token('service')).toBe(order[0]);
    // Without the reservation the first role drawn takes the first token.
    const unreserved = new FreshValues([policy]);
    expect(unreserved.token('holder')).toBe(order[0]);
  });
});
