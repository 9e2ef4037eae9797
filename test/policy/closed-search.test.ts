import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FreshValues } from '../../shared/policy/fresh.ts';
import { parsePolicy } from '../../shared/policy/parse.ts';
import { findWitness, searchMemo } from '../../shared/policy/witness.ts';
import type { WitnessQuestion } from '../../shared/policy/witness.ts';
import type { Policy } from '../../shared/policy/types.ts';

/**
 * A gated witness search in which no position of any action is admitted (every Allow statement
 * covering the action is ruled out by the fixed facts, or none covers it, or none of the resources
 * asked fits a statement's Resource) is answered without walking it (witness.ts `closedAnswer`). Its answer, its `undecided` note and the fresh tokens it
 * draws must be those of the walked search (`walkClosed`).
 */

type Stmt = Record<string, unknown>;
const policyOf = (...Statement: Stmt[]): Policy => parsePolicy({ Version: '2012-10-17', Statement }).policy;
const ROLES = ['arn:aws:iam::111122223333:role/app', 'arn:aws:iam::111122223333:role/service-role/x', 'arn:aws:iam::444455556666:role/other', 'arn:aws:iam::111122223333:role/twfresh9'];
const USERS = ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:role/holder', 'arn:aws:iam::111122223333:user/bob'];

/** The search's answer and the order of the fresh tokens drawn by it (the next token of a new role says where the count stands). */
function run(policies: Policy[], q: Omit<WitnessQuestion, 'fresh' | 'identityPolicies'>, walkClosed: boolean): string {
  const fresh = new FreshValues(policies);
  const answer = findWitness({ ...q, identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })), fresh, ...(walkClosed ? { walkClosed } : {}) });
  return JSON.stringify({ answer: { ...answer, result: answer.result?.decision }, next: fresh.token('after'), name: fresh.token() });
}

const passedTo = (service: string): ReadonlyMap<string, string[][]> => new Map([['iam:passedtoservice', [[service]]]]);

describe('a search with no admitted position is answered without walking it', () => {
  const ec2Only = policyOf({
    Effect: 'Allow',
    Action: 'iam:PassRole',
    Resource: '*',
    Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com', 'aws:ResourceTag/team': ['a', 'b'] } },
  });

  it('finds nothing, and draws the default token the candidate spaces of a free key draw', () => {
    const q = { actions: ['iam:PassRole'], principals: USERS.slice(0, 2), resources: ROLES.slice(0, 2), fixed: passedTo('lambda.amazonaws.com'), budget: 1500 };
    const fast = run([ec2Only], q, false);
    expect(JSON.parse(fast)).toEqual({ answer: { conditional: false }, next: 'twfresh2', name: 'twfresh1' });
    expect(fast).toBe(run([ec2Only], q, true));
  });

  it('runs out of budget exactly where the walked search does, with the same note', () => {
    for (const budget of [1, 4, 5, 6, 8, 9, 12, 13, 20]) {
      const q = { actions: ['iam:PassRole'], principals: USERS.slice(0, 2), resources: ROLES.slice(0, 2), fixed: passedTo('lambda.amazonaws.com'), budget };
      const walked = run([ec2Only], q, true);
      expect(run([ec2Only], q, false), `budget ${budget}`).toBe(walked);
    }
    const tight = run([ec2Only], { actions: ['iam:PassRole'], principals: USERS.slice(0, 2), resources: ROLES.slice(0, 2), fixed: passedTo('lambda.amazonaws.com'), budget: 5 }, false);
    expect(JSON.parse(tight).answer.undecided).toMatch(/^could not be decided: the search space of .*too large$/);
  });

  it('a clause with a policy variable: bounded only when the principal resolves it (a role has no aws:username)', () => {
    const named = policyOf({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' }, StringLike: { 'aws:ResourceTag/team': ['${aws:username}-a', '${aws:username}-b', 'c*', 'd*'] } },
    });
    const undecided: number[] = [];
    for (const principal of ['arn:aws:iam::111122223333:role/holder', 'arn:aws:iam::111122223333:user/alice']) {
      for (let budget = 1; budget <= 12; budget++) {
        const q = { actions: ['iam:PassRole'], principals: [principal], resources: ROLES.slice(0, 1), fixed: passedTo('lambda.amazonaws.com'), budget };
        const walked = run([named], q, true);
        expect(run([named], q, false), `${principal}, budget ${budget}`).toBe(walked);
        if (JSON.parse(walked).answer.undecided) undecided.push(budget);
      }
    }
    // The role's space of aws:ResourceTag/team is not deduplicated (the variable stays): it runs out where the user's does not.
    expect(undecided.length).toBeGreaterThan(4);
    // A variable naming a key not derived from the principal is never resolved: that key is searched too.
    const tagged = policyOf({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' }, StringLike: { 'aws:ResourceTag/team': ['${aws:PrincipalTag/team}', 'c*', 'd*', 'e?'] } },
    });
    let taggedUndecided = 0;
    for (let budget = 1; budget <= 16; budget++) {
      const q = { actions: ['iam:PassRole'], principals: ['arn:aws:iam::111122223333:user/alice'], resources: ROLES.slice(0, 1), fixed: passedTo('lambda.amazonaws.com'), budget };
      const walked = run([tagged], q, true);
      expect(run([tagged], q, false), `budget ${budget}`).toBe(walked);
      if (JSON.parse(walked).answer.undecided) taggedUndecided++;
    }
    expect(taggedUndecided).toBeGreaterThan(4);
  });

  it('an action some statement covers, but on none of the resources asked: the same answer, note and tokens', () => {
    // Not closed (the statement applies to some resource), yet no position of the search is admitted.
    const appOnly = policyOf({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: 'arn:aws:iam::*:role/app',
      Condition: { StringEquals: { 'aws:ResourceTag/team': ['a', 'b'] }, StringLike: { 'aws:RequestedRegion': 'us-*' } },
    });
    for (const budget of [1, 2, 3, 4, 6, 8, 12, 16, 17, 24, 40, 1500]) {
      for (const fixed of [undefined, passedTo('ec2.amazonaws.com')]) {
        const q = { actions: ['iam:PassRole'], principals: USERS.slice(0, 2), resources: ROLES.slice(1, 3), budget, ...(fixed ? { fixed } : {}) };
        expect(run([appOnly], q, false), `budget ${budget}`).toBe(run([appOnly], q, true));
      }
    }
    const open = run([appOnly], { actions: ['iam:PassRole'], principals: USERS.slice(0, 2), resources: ROLES.slice(1, 3), budget: 1500 }, false);
    expect(JSON.parse(open)).toEqual({ answer: { conditional: false }, next: 'twfresh2', name: 'twfresh1' });
    // With the admitted resource among them the search is walked, and finds its witness.
    const found = JSON.parse(run([appOnly], { actions: ['iam:PassRole'], principals: USERS.slice(0, 2), resources: ROLES.slice(0, 3), budget: 1500 }, false));
    expect(found.answer.witness?.resource).toBe(ROLES[0]);
  });

  it('property: the same answer, note and token order as the walked search', () => {
    const service = fc.constantFrom('ec2.amazonaws.com', 'lambda.amazonaws.com', 'glue.amazonaws.com', 'ec2.*');
    const clause = fc.oneof(
      fc.record({ op: fc.constantFrom('StringEquals', 'StringLike', 'StringNotEquals'), key: fc.constant('iam:PassedToService'), values: fc.array(service, { minLength: 1, maxLength: 2 }) }),
      fc.record({ op: fc.constantFrom('StringEquals', 'StringLike'), key: fc.constantFrom('aws:ResourceTag/team', 'aws:RequestedRegion'), values: fc.array(fc.constantFrom('a', 'b*', 'us-*', '${aws:username}', '${aws:PrincipalAccount}', 'x-${*}'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ op: fc.constant('StringEquals'), key: fc.constant('aws:ResourceAccount'), values: fc.constantFrom(['${aws:PrincipalAccount}'], ['${aws:PrincipalTag/team}']) }),
      fc.record({ op: fc.constantFrom('NumericLessThan', 'Bool'), key: fc.constantFrom('aws:MultiFactorAuthAge', 'aws:SecureTransport'), values: fc.constantFrom(['3600'], ['true']) }),
      fc.record({ op: fc.constant('StringEquals'), key: fc.constant('aws:PrincipalAccount'), values: fc.constant(['111122223333']) }),
    );
    const statement = fc.record({
      effect: fc.constantFrom('Allow', 'Allow', 'Deny'),
      action: fc.constantFrom('iam:PassRole', 'iam:Pass*', 's3:GetObject', '*'),
      resource: fc.constantFrom('*', 'arn:aws:iam::*:role/app', 'arn:aws:iam::111122223333:role/service-role/*', 'arn:aws:s3:::b/*'),
      conditions: fc.array(clause, { maxLength: 3 }),
    });
    const toStatement = (s: { effect: string; action: string; resource: string; conditions: ReadonlyArray<{ op: string; key: string; values: readonly string[] }> }): Stmt => {
      const Condition: Record<string, Record<string, readonly string[]>> = {};
      for (const c of s.conditions) (Condition[c.op] ??= {})[c.key] = c.values;
      return { Effect: s.effect, Action: s.action, Resource: s.resource, ...(s.conditions.length > 0 ? { Condition } : {}) };
    };
    fc.assert(
      fc.property(
        fc.array(fc.array(statement, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
        fc.option(fc.array(service, { maxLength: 2 }), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 80 }),
        fc.boolean(),
        fc.boolean(),
        (docs, fixedServices, principals, resources, budget, exactOnly, memo) => {
          const policies = docs.map((list) => policyOf(...list.map(toStatement)));
          const q = {
            actions: ['iam:PassRole'],
            principals: USERS.slice(0, principals),
            resources: ROLES.slice(0, resources),
            budget,
            ...(fixedServices ? { fixed: new Map([['iam:passedtoservice', fixedServices.map((x) => [x])]]) } : {}),
            ...(exactOnly ? { exactOnly } : {}),
          };
          // A memo shared by two searches of the same question: the second reads the spaces the first remembered.
          const twice = (walkClosed: boolean): string => {
            const fresh = new FreshValues(policies);
            const shared = memo ? { memo: searchMemo() } : {};
            const one = (): unknown => {
              const a = findWitness({ ...q, ...shared, identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })), fresh, ...(walkClosed ? { walkClosed } : {}) });
              return { ...a, result: a.result?.decision };
            };
            return JSON.stringify([one(), one(), fresh.token('after')]);
          };
          expect(twice(false)).toBe(twice(true));
        },
      ),
      { numRuns: 400, seed: 15 },
    );
  });
});

describe('a Resource with policy variables is matched before an evaluation, as the evaluator matches it', () => {
  const search = (policy: Policy, principals: string[], resources: string[]) =>
    findWitness({ actions: ['s3:GetObject'], principals, resources, identityPolicies: [{ name: 'p', policy }], fresh: new FreshValues([policy]), budget: 1500 });

  it('from the principal: a user`s own prefix is found, another user`s is not', () => {
    const own = policyOf({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${aws:username}/*' });
    expect(search(own, ['arn:aws:iam::111122223333:user/alice'], ['arn:aws:s3:::bucket/alice/x']).witness?.resource).toBe('arn:aws:s3:::bucket/alice/x');
    expect(search(own, ['arn:aws:iam::111122223333:user/alice'], ['arn:aws:s3:::bucket/bob/x'])).toEqual({ conditional: false });
  });

  it('from the searched context: the tag value the condition asks for reaches the Resource', () => {
    const tagged = policyOf({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*',
      Condition: { StringEquals: { 'aws:PrincipalTag/team': 'red' } },
    });
    const found = search(tagged, ['arn:aws:iam::111122223333:role/app'], ['arn:aws:s3:::bucket/blue/x', 'arn:aws:s3:::bucket/red/x']);
    expect(found.witness).toMatchObject({ resource: 'arn:aws:s3:::bucket/red/x', context: { 'aws:principaltag/team': ['red'] } });
    expect(found.conditional).toBe(true);
  });
});
