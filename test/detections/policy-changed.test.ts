import { describe, expect, it } from 'vitest';
import { detect, meta } from '../../shared/detections/policy-changed.ts';
import type { PolicyChange } from '../../shared/detections/lib/policy-change.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { ChangeAnalysis } from '../../shared/policy/change-analysis.ts';
import { sampleEvent } from '../helpers/events.ts';

const analysisOf = (f: { details: Record<string, unknown> }) => f.details['analysis'] as ChangeAnalysis;

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

  it('is critical for a public bucket policy (policy engine) and medium for trust to a foreign account', () => {
    // The engine judges an unpinned Principal "*" that can read objects as public data access:
    // critical (the first-pass rules said high). The trust stays medium and the analysis names the
    // missing sts:ExternalId.
    const bucket = one('positive-bucket-policy-public');
    expect(bucket.f.severity).toBe('critical');
    expect(analysisOf(bucket.f).findings.map((x) => x.id)).toEqual(['public-access']);
    const trust = one('positive-update-trust-foreign');
    expect(trust.f.severity).toBe('medium');
    expect(trust.f.details['reasons']).toEqual(['grants access to other account(s): 444455556666']);
    expect(analysisOf(trust.f).findings[0]).toMatchObject({ id: 'cross-account-access', severity: 'medium', detail: { accounts: ['444455556666'], missingExternalId: true } });
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
    // A trust policy anyone can assume: the engine's public-access finding makes it critical.
    expect(f?.severity).toBe('critical');
    expect(analysisOf(f!).findings.map((x) => x.id)).toContain('public-access');
    expect((f?.details['change'] as PolicyChange).target).toEqual({ type: 'role', name: 'x', arn: 'arn:aws:iam::111122223333:role/x' });
  });

  describe('details.analysis from the policy engine', () => {
    const putPolicy = (document: unknown) => {
      const e = sampleEvent('policy-changed', 'positive-put-role-policy-admin');
      return detect({ ...e, requestParameters: { ...e.requestParameters, policyDocument: JSON.stringify(document) } })[0]!;
    };
    const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

    it('judges an attached AWS managed policy from the bundled snapshot', () => {
      const { f } = one('positive-attach-admin-user');
      const a = analysisOf(f);
      expect(a.status).toBe('aws-managed-snapshot');
      expect(a.findings.map((x) => x.id)).toContain('admin-access');
      expect(f.severity).toBe('critical');
    });

    it('carries the findings with the statements responsible for an inline admin policy', () => {
      const { f } = one('positive-put-role-policy-admin');
      const a = analysisOf(f);
      expect(a).toMatchObject({ status: 'analysed', severity: 'critical', policyKind: 'inline-role' });
      expect(a.findings.find((x) => x.id === 'admin-access')?.statements).toEqual([{ index: 0, policy: 'policy' }]);
    });

    it('a benign change stays low', () => {
      const f = putPolicy(doc({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::reports/*' }));
      expect(f.severity).toBe('low');
      expect(analysisOf(f).findings).toEqual([]);
      expect(one('positive-kms-key-policy').f.severity).toBe('low');
    });

    it('names the escalation path, and honours a Deny', () => {
      const f = putPolicy(doc({ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' }));
      expect(f.severity).toBe('high');
      expect(f.title).toContain('iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction');
      const denied = putPolicy(doc({ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' }, { Effect: 'Deny', Action: 'iam:PassRole', Resource: '*' }));
      expect(analysisOf(denied).findings.map((x) => x.id)).not.toContain('privilege-escalation');
    });

    it('a customer-managed attachment waits for the enricher; a detachment is not judged', () => {
      const e = sampleEvent('policy-changed', 'positive-attach-admin-user');
      const custom = detect({ ...e, requestParameters: { ...e.requestParameters, policyArn: 'arn:aws:iam::111122223333:policy/custom' } })[0]!;
      expect(analysisOf(custom).status).toBe('pending-fetch');
      expect(custom.severity).toBe('low');
      expect(one('positive-delete-role-boundary').f.details['analysis']).toBeUndefined();
    });
  });
});
