import { describe, expect, it } from 'vitest';
import { detect, meta } from '../../shared/detections/policy-changed.ts';
import type { PolicyChange } from '../../shared/detections/lib/policy-change.ts';
import { normalize } from '../../shared/model/normalize.ts';
import { sampleEvent } from '../helpers/events.ts';

const one = (name: string) => {
  const findings = detect(sampleEvent('policy-changed', name));
  expect(findings).toHaveLength(1);
  const [f] = findings;
  return { f: f!, change: f!.details['change'] as PolicyChange };
};

describe('policy-changed', () => {
  it('is critical when AdministratorAccess is attached to a user, and names user and policy', () => {
    const { f, change } = one('positive-attach-admin-user');
    expect(f.severity).toBe('critical');
    expect(f.title).toContain('build-bot');
    expect(f.title).toContain('AdministratorAccess');
    expect(change).toMatchObject({ kind: 'attachment', action: 'iam:AttachUserPolicy', target: { type: 'user', name: 'build-bot' } });
  });

  it('is critical for an inline policy allowing * on *, and carries the parsed document', () => {
    const { f, change } = one('positive-put-role-policy-admin');
    expect(f.severity).toBe('critical');
    expect(change.document).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  });

  it('is high for a public bucket policy and medium for trust to a foreign account', () => {
    expect(one('positive-bucket-policy-public').f.severity).toBe('high');
    const trust = one('positive-update-trust-foreign');
    expect(trust.f.severity).toBe('medium');
    expect(trust.f.details['reasons']).toEqual(['grants access to other account(s): 444455556666']);
    expect(trust.change.kind).toBe('trust');
  });

  it('is medium when a permissions boundary is removed', () => {
    const { f, change } = one('positive-delete-role-boundary');
    expect(f.severity).toBe('medium');
    expect(change).toMatchObject({ kind: 'boundary', removed: true, target: { type: 'role', name: 'developer' } });
  });

  it('reads the SCP type of UpdatePolicy from the response', () => {
    const { change } = one('positive-org-update-scp');
    expect(change).toMatchObject({ kind: 'scp', policyType: 'SERVICE_CONTROL_POLICY', policyName: 'deny-leave-org' });
  });

  it('is high for a Lambda permission open to everyone (AddPermission20150331v2)', () => {
    const { f, change } = one('positive-lambda-add-permission');
    expect(change).toMatchObject({ action: 'lambda:AddPermission', target: { type: 'lambda-function', name: 'billing-export' } });
    expect(f.severity).toBe('high');
  });

  it('stays low for a routine KMS key policy owned by the account', () => {
    const { f, change } = one('positive-kms-key-policy');
    expect(f.severity).toBe('low');
    expect(change.kind).toBe('resource');
  });

  it('ignores failed calls, non-policy SNS attributes, reads and tag policies', () => {
    for (const name of ['negative-failed-attach', 'negative-sns-display-name', 'negative-get-role-policy', 'negative-org-tag-policy']) {
      expect(detect(sampleEvent('policy-changed', name)), name).toEqual([]);
    }
  });

  it('reports a malformed document as medium with the parse error instead of throwing', () => {
    const e = sampleEvent('policy-changed', 'positive-put-role-policy-admin');
    const broken = { ...e, requestParameters: { ...e.requestParameters, policyDocument: '{"Statement": [' } };
    const [f] = detect(broken);
    expect(f?.severity).toBe('medium');
    expect((f?.details['change'] as PolicyChange).documentError).toMatch(/not JSON/);
  });

  it('survives null request parameters', () => {
    const e = sampleEvent('policy-changed', 'positive-attach-admin-user');
    const [f] = detect({ ...e, requestParameters: null });
    expect(f?.severity).toBe('low');
  });

  it('declares exact match sets including the versioned Lambda name', () => {
    const lambda = meta.matches.find((m) => m.eventSource.includes('lambda.amazonaws.com'));
    expect(lambda?.eventName).toContain('AddPermission20150331v2');
    const iam = meta.matches.find((m) => m.eventSource.includes('iam.amazonaws.com'))!;
    for (const n of ['PutUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'DeleteUserPolicy', 'DeleteGroupPolicy', 'DeleteRolePolicy', 'CreatePolicy', 'DeletePolicy', 'CreatePolicyVersion', 'DeletePolicyVersion', 'AttachRolePolicy', 'DetachRolePolicy', 'AttachUserPolicy', 'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy']) {
      expect(iam.eventName, n).toContain(n);
    }
  });

  it('parses a URL-encoded document given only in the response', () => {
    const r = normalize({
      eventID: '0d5c39f4-6c9e-4e76-a1f6-6d1f1d3c1a01', eventTime: '2026-11-20T09:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'CreateRole',
      userIdentity: { type: 'IAMUser', userName: 'alice', accountId: '111122223333' }, recipientAccountId: '111122223333',
      requestParameters: { roleName: 'x' },
      responseElements: { role: { arn: 'arn:aws:iam::111122223333:role/x', assumeRolePolicyDocument: '%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22*%22%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D' } },
    });
    if (!r.ok) throw new Error(r.skip.reason);
    const [f] = detect(r.event);
    expect(f?.severity).toBe('high');
    expect((f?.details['change'] as PolicyChange).target).toEqual({ type: 'role', name: 'x', arn: 'arn:aws:iam::111122223333:role/x' });
  });
});
