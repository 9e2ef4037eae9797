import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/root-activity.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 'root-activity';

describe('root-activity', () => {
  it('reports a root console-session call as high and names the call', () => {
    const [f, ...rest] = detect(sampleEvent(D, 'positive-root-console-put-bucket-versioning'));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ detection: D, severity: 'high', details: { kind: 'root-console-session' } });
    expect(f?.title).toContain('s3:PutBucketVersioning');
  });

  it('is critical when a long-term root access key is used', () => {
    const [f] = detect(sampleEvent(D, 'positive-root-access-key'));
    expect(f).toMatchObject({ severity: 'critical', details: { kind: 'root-access-key', accessKeyId: 'AKIAZ3EXAMPLEROOTKEY' } });
  });

  it('says when the root session came from sts:AssumeRoot (centralized root access)', () => {
    const [f] = detect(sampleEvent(D, 'positive-assumed-root-session'));
    expect(f?.details['kind']).toBe('assumed-root-session');
    expect(f?.title).toContain('via AssumeRoot');
    expect(String((f?.details['notes'] as string[])[0])).toContain('sts:AssumeRoot');
  });

  it('flags the AssumeRoot call in the management account, naming target account and task policy', () => {
    const [f] = detect(sampleEvent(D, 'positive-assume-root-call'));
    expect(f).toMatchObject({ severity: 'high', details: { kind: 'assume-root', targetAccount: '444455556666', taskPolicyArn: 'arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy' } });
    expect(f?.title).toContain('S3UnlockBucketPolicy');
  });

  it('grades read-only root calls medium and CreateServiceLinkedRole low, but still reports them', () => {
    const base = sampleEvent(D, 'positive-root-console-put-bucket-versioning');
    expect(detect({ ...base, name: 'ListBuckets', readOnly: true })[0]?.severity).toBe('medium');
    const slr = detect({ ...base, source: 'iam.amazonaws.com', name: 'CreateServiceLinkedRole' })[0];
    expect(slr?.severity).toBe('low');
  });

  it('reports failed root calls (credentials were used) with the error code', () => {
    const base = sampleEvent(D, 'positive-root-console-put-bucket-versioning');
    expect(detect({ ...base, errorCode: 'AccessDenied' })[0]?.details).toMatchObject({ errorCode: 'AccessDenied' });
  });

  it('treats invokedBy signin.amazonaws.com as root\'s own console session (older records), other invokers as services', () => {
    const base = sampleEvent(D, 'positive-root-console-put-bucket-versioning');
    expect(detect({ ...base, principal: { ...base.principal, invokedBy: 'signin.amazonaws.com' } })).toHaveLength(1);
    expect(detect({ ...base, principal: { ...base.principal, invokedBy: 'config.amazonaws.com' } })).toEqual([]);
  });

  it('does not repeat root-signin for sign-in steps, but reports a root password change', () => {
    const base = sampleEvent(D, 'negative-root-console-login');
    expect(detect({ ...base, name: 'CheckMfa', responseElements: { CheckMfa: 'Success' } })).toEqual([]);
    expect(detect({ ...base, name: 'PasswordUpdated', responseElements: { PasswordUpdated: 'Success' } })).toHaveLength(1);
    expect(detect({ ...base, name: 'PasswordUpdated', responseElements: { PasswordUpdated: 'Failure' } })).toEqual([]);
  });

  it('ignores invokedBy, service events, ConsoleLogin (root-signin owns it) and non-root callers', () => {
    for (const n of ['negative-service-on-behalf-of-root', 'negative-root-console-login', 'negative-iam-user-call', 'negative-root-service-event']) {
      expect(detect(sampleEvent(D, n)), n).toEqual([]);
    }
  });
});
