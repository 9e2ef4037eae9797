import { describe, expect, it } from 'vitest';
import { extractPolicyChange } from '../../../shared/detections/lib/policy-change.ts';
import { decodeDocument, foreignAccounts, publicStatements } from '../../../shared/detections/lib/policy-document.ts';
import { normalize } from '../../../shared/model/normalize.ts';
import type { TrailEvent } from '../../../shared/model/types.ts';

function event(source: string, name: string, requestParameters: unknown, responseElements: unknown = null): TrailEvent {
  const r = normalize({
    eventID: '5e0b7c1a-2f43-4c1e-9d6b-3a8f0e2d1c77', eventTime: '2026-11-20T09:14:37Z', eventSource: source, eventName: name,
    userIdentity: { type: 'IAMUser', userName: 'alice', accountId: '111122223333' }, recipientAccountId: '111122223333',
    requestParameters, responseElements,
  });
  if (!r.ok) throw new Error(r.skip.reason);
  return r.event;
}

describe('extractPolicyChange', () => {
  it('reads an S3 bucket policy given as an object', () => {
    const c = extractPolicyChange(event('s3.amazonaws.com', 'PutBucketPolicy', { bucketName: 'b', bucketPolicy: { Statement: [] } }));
    expect(c).toMatchObject({ kind: 'resource', service: 's3', action: 's3:PutBucketPolicy', target: { type: 's3-bucket', name: 'b', arn: 'arn:aws:s3:::b' }, document: { Statement: [] } });
  });
  it('reads a KMS key policy given as a JSON string', () => {
    const c = extractPolicyChange(event('kms.amazonaws.com', 'PutKeyPolicy', { keyId: 'k', policyName: 'default', policy: '{"Statement":[]}' }));
    expect(c).toMatchObject({ kind: 'resource', target: { type: 'kms-key', name: 'k' }, document: { Statement: [] } });
  });
  it('reads SQS policies only when the Policy attribute is set', () => {
    expect(extractPolicyChange(event('sqs.amazonaws.com', 'SetQueueAttributes', { queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/q', attributes: { VisibilityTimeout: '30' } }))).toBeUndefined();
    expect(extractPolicyChange(event('sqs.amazonaws.com', 'SetQueueAttributes', { queueUrl: 'https://sqs.us-east-1.amazonaws.com/111122223333/q', attributes: { Policy: '{"Statement":[]}' } }))).toMatchObject({ target: { type: 'sqs-queue', name: 'q' } });
  });
  it('distinguishes Organizations SCP and RCP creation and reads attach targets', () => {
    expect(extractPolicyChange(event('organizations.amazonaws.com', 'CreatePolicy', { name: 'r', type: 'RESOURCE_CONTROL_POLICY', content: '{}' }))?.kind).toBe('rcp');
    expect(extractPolicyChange(event('organizations.amazonaws.com', 'AttachPolicy', { policyId: 'p-1', targetId: 'ou-ab12-cd34ef56' }))).toMatchObject({ kind: 'attachment', target: { type: 'organization-target', name: 'ou-ab12-cd34ef56' }, policyName: 'p-1' });
  });
  it('reads OpenSearch domain access policies and skips domain updates without one', () => {
    expect(extractPolicyChange(event('es.amazonaws.com', 'UpdateDomainConfig', { domainName: 'logs', accessPolicies: '{"Statement":[]}' }))).toMatchObject({ kind: 'resource', target: { type: 'opensearch-domain', name: 'logs' } });
    expect(extractPolicyChange(event('es.amazonaws.com', 'UpdateDomainConfig', { domainName: 'logs', clusterConfig: {} }))).toBeUndefined();
  });
  it('reads versions, defaults and boundaries', () => {
    expect(extractPolicyChange(event('iam.amazonaws.com', 'CreatePolicyVersion', { policyArn: 'arn:aws:iam::111122223333:policy/p', setAsDefault: true, policyDocument: '{}' }))).toMatchObject({ kind: 'version', setAsDefault: true, policyName: 'p' });
    expect(extractPolicyChange(event('iam.amazonaws.com', 'PutUserPermissionsBoundary', { userName: 'u', permissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess' }))).toMatchObject({ kind: 'boundary', policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess' });
  });
  it('returns undefined for events that are not policy changes and never throws on junk', () => {
    expect(extractPolicyChange(event('iam.amazonaws.com', 'GetPolicy', { policyArn: 'x' }))).toBeUndefined();
    expect(() => extractPolicyChange(event('iam.amazonaws.com', 'PutRolePolicy', { roleName: 7, policyDocument: 42 }))).not.toThrow();
  });
});

describe('policy document helpers', () => {
  it('decodes object, JSON string, URL-encoded JSON, and reports non-JSON', () => {
    expect(decodeDocument({ a: 1 })).toEqual({ document: { a: 1 } });
    expect(decodeDocument('{"a":1}')).toEqual({ document: { a: 1 } });
    expect(decodeDocument('%7B%22a%22%3A1%7D')).toEqual({ document: { a: 1 } });
    expect(decodeDocument('not json')).toMatchObject({ error: expect.stringMatching(/not JSON/) });
    expect(decodeDocument('')).toBeUndefined();
  });
  it('does not count a wildcard principal restricted by aws:PrincipalOrgID as public', () => {
    const doc = { Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } }] };
    expect(publicStatements(doc)).toEqual([]);
    expect(publicStatements({ Statement: { Effect: 'Allow', Principal: { AWS: '*' }, Action: '*' } })).toHaveLength(1);
  });
  it('lists foreign accounts from ARNs and bare ids', () => {
    const doc = { Statement: [{ Effect: 'Allow', Principal: { AWS: ['444455556666', 'arn:aws:iam::777788889999:role/x', 'arn:aws:iam::111122223333:root'] } }] };
    expect(foreignAccounts(doc, '111122223333')).toEqual(['444455556666', '777788889999']);
  });
});
