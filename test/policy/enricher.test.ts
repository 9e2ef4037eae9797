import { GetPolicyCommand, GetPolicyVersionCommand, IAMClient, ListPolicyVersionsCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../shared/model/types.ts';
import { analyzePolicyChange } from '../../shared/policy/change-analysis.ts';
import type { ChangeAnalysis, PolicyChangeLike } from '../../shared/policy/change-analysis.ts';
import { createPolicyEnricher } from '../../shared/policy/enricher.ts';

const ACCOUNT = '111122223333';
const ARN = `arn:aws:iam::${ACCOUNT}:policy/app-policy`;
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const encoded = (d: unknown) => encodeURIComponent(JSON.stringify(d));

function finding(change: PolicyChangeLike, versionId?: string): Finding {
  const analysis = analyzePolicyChange(change, ACCOUNT, versionId);
  return {
    detection: 'policy-changed',
    severity: 'low',
    title: `alice ran ${change.action}`,
    eventId: 'e1',
    eventName: change.action.split(':')[1] as string,
    eventSource: 'iam.amazonaws.com',
    time: '2026-11-23T10:00:00Z',
    account: ACCOUNT,
    region: 'us-east-1',
    principal: { type: 'IAMUser', name: 'alice' },
    details: { change, ...(analysis ? { analysis } : {}) },
  };
}
const analysisOf = (f: Finding) => f.details['analysis'] as ChangeAnalysis;

describe('analyzePolicyChange (pure)', () => {
  it('judges an inline policy document with the inline quota of its entity', () => {
    const a = analyzePolicyChange({ kind: 'identity', action: 'iam:PutUserPolicy', target: { type: 'user', name: 'bob' }, document: doc({ Effect: 'Allow', Action: '*', Resource: '*' }) }, ACCOUNT);
    expect(a?.status).toBe('analysed');
    expect(a?.policyKind).toBe('inline-user');
    expect(a?.severity).toBe('critical');
    expect(a?.findings.map((f) => f.id)).toContain('admin-access');
  });
  it('judges an AWS managed policy attachment from the bundled snapshot', () => {
    const a = analyzePolicyChange({ kind: 'attachment', action: 'iam:AttachRolePolicy', target: { type: 'role', name: 'r' }, policyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' }, ACCOUNT);
    expect(a?.status).toBe('aws-managed-snapshot');
    expect(a?.findings.map((f) => f.id)).toContain('privilege-escalation');
    const ro = analyzePolicyChange({ kind: 'attachment', action: 'iam:AttachRolePolicy', target: { type: 'role' }, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, ACCOUNT);
    expect(ro?.findings.map((f) => f.id)).not.toContain('admin-access');
  });
  it('a customer-managed attachment is pending a fetch; detachments are not judged', () => {
    expect(analyzePolicyChange({ kind: 'attachment', action: 'iam:AttachUserPolicy', target: { type: 'user' }, policyArn: ARN }, ACCOUNT)?.status).toBe('pending-fetch');
    expect(analyzePolicyChange({ kind: 'detachment', action: 'iam:DetachUserPolicy', target: { type: 'user' }, policyArn: ARN }, ACCOUNT)).toBeUndefined();
  });
  it('ACLs and permission grants are not policies; unreadable documents are invalid-policy', () => {
    expect(analyzePolicyChange({ kind: 'resource', action: 's3:PutBucketAcl', target: { type: 's3-bucket' }, document: { cannedAcl: 'public-read' } }, ACCOUNT)?.status).toBe('not-a-policy');
    const bad = analyzePolicyChange({ kind: 'identity', action: 'iam:PutRolePolicy', target: { type: 'role' }, documentError: 'Unexpected token' }, ACCOUNT);
    expect(bad?.findings[0]?.id).toBe('invalid-policy');
  });
});

describe('policy enricher', () => {
  const iam = mockClient(IAMClient);
  beforeEach(() => iam.reset());

  it("mode 'local' makes no AWS call and says the content is unknown offline", async () => {
    const enricher = createPolicyEnricher({ mode: 'local', iam: iam as unknown as IAMClient });
    const [out] = await enricher.enrich([finding({ kind: 'attachment', action: 'iam:AttachUserPolicy', target: { type: 'user' }, policyArn: ARN })]);
    expect(analysisOf(out as Finding).status).toBe('content-unknown');
    expect(analysisOf(out as Finding).note).toContain('content unknown offline');
    expect(iam.calls()).toHaveLength(0);
  });

  it('fetches the default version of an attached customer-managed policy and raises the severity', async () => {
    iam.on(GetPolicyCommand).resolves({ Policy: { DefaultVersionId: 'v3' } });
    iam.on(GetPolicyVersionCommand, { PolicyArn: ARN, VersionId: 'v3' }).resolves({ PolicyVersion: { Document: encoded(doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' })) } });
    const enricher = createPolicyEnricher({ mode: 'lambda', iam: iam as unknown as IAMClient });
    const [out] = await enricher.enrich([finding({ kind: 'attachment', action: 'iam:AttachUserPolicy', target: { type: 'user' }, policyArn: ARN })]);
    const a = analysisOf(out as Finding);
    expect(a.status).toBe('analysed');
    expect(a.findings.map((f) => f.id)).toContain('privilege-escalation');
    expect(out?.severity).toBe('high');
    expect(out?.title).toContain('privilege escalation');
  });

  it('CreatePolicyVersion: diffs against the previous default and reports only what is new', async () => {
    const before = doc({ Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: '*' });
    const after = doc({ Effect: 'Allow', Action: ['iam:PutUserPolicy', 'iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' });
    iam.on(ListPolicyVersionsCommand).resolves({
      Versions: [
        { VersionId: 'v2', IsDefaultVersion: true, CreateDate: new Date('2026-11-23T10:00:00Z') },
        { VersionId: 'v1', IsDefaultVersion: false, CreateDate: new Date('2026-01-01T00:00:00Z') },
      ],
    });
    iam.on(GetPolicyVersionCommand, { PolicyArn: ARN, VersionId: 'v1' }).resolves({ PolicyVersion: { Document: encoded(before) } });
    const enricher = createPolicyEnricher({ mode: 'lambda', iam: iam as unknown as IAMClient });
    const [out] = await enricher.enrich([finding({ kind: 'version', action: 'iam:CreatePolicyVersion', target: { type: 'managed-policy', arn: ARN }, policyArn: ARN, document: after, setAsDefault: true }, 'v2')]);
    const a = analysisOf(out as Finding);
    expect(a.comparedWithPrevious).toBe(true);
    const paths = (a.findings.find((f) => f.id === 'privilege-escalation')?.detail?.['paths'] as Array<{ name: string }>).map((p) => p.name);
    // Both new: the invoke path and the conditional create-only path (PMapper's; it needs a trigger or SnapStart).
    expect(paths).toEqual(['iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction', 'iam:PassRole + lambda:CreateFunction']);
    expect(paths).not.toContain('iam:PutUserPolicy');
  });

  it('SetDefaultPolicyVersion: judges the version switched to', async () => {
    iam.on(GetPolicyVersionCommand, { PolicyArn: ARN, VersionId: 'v1' }).resolves({ PolicyVersion: { Document: encoded(doc({ Effect: 'Allow', Action: '*', Resource: '*' })) } });
    iam.on(ListPolicyVersionsCommand).resolves({ Versions: [{ VersionId: 'v1', CreateDate: new Date('2026-01-01') }] });
    const enricher = createPolicyEnricher({ mode: 'lambda', iam: iam as unknown as IAMClient });
    const [out] = await enricher.enrich([finding({ kind: 'version', action: 'iam:SetDefaultPolicyVersion', target: { type: 'managed-policy' }, policyArn: ARN, setAsDefault: true }, 'v1')]);
    expect(analysisOf(out as Finding).findings.map((f) => f.id)).toContain('admin-access');
    expect(out?.severity).toBe('critical');
  });

  it('never throws: an AWS error leaves the finding as it was, with a note', async () => {
    iam.on(GetPolicyCommand).rejects(Object.assign(new Error('User is not authorized to perform: iam:GetPolicy'), { name: 'AccessDenied' }));
    const enricher = createPolicyEnricher({ mode: 'lambda', iam: iam as unknown as IAMClient });
    const input = finding({ kind: 'attachment', action: 'iam:AttachUserPolicy', target: { type: 'user' }, policyArn: ARN });
    const [out] = await enricher.enrich([input]);
    expect(out?.severity).toBe('low');
    expect(analysisOf(out as Finding).status).toBe('pending-fetch');
    expect(analysisOf(out as Finding).note).toContain('AccessDenied');
  });

  it('leaves other detections and already-judged findings alone', async () => {
    const enricher = createPolicyEnricher({ mode: 'lambda', iam: iam as unknown as IAMClient });
    const other = { ...finding({ kind: 'identity', action: 'iam:PutUserPolicy', target: { type: 'user' }, document: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }) }) };
    const [out] = await enricher.enrich([other, { ...other, detection: 'root-signin', details: {} }]);
    expect(out).toEqual(other);
    expect(iam.calls()).toHaveLength(0);
  });
});
