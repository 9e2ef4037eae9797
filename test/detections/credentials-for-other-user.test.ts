import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/credentials-for-other-user.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 'credentials-for-other-user';
const first = (n: string) => detect(sampleEvent(D, n))[0];

describe('credentials-for-other-user', () => {
  it('is high for an access key created for someone else, with the new key id', () => {
    const f = first('positive-access-key-for-other');
    expect(f).toMatchObject({ severity: 'high', details: { targetUser: 'ci-deployer', credential: 'access-key', accessKeyId: 'AKIAZ3EXAMPLENEWKEY1' } });
    expect(f?.title).toContain('alice created an access key for IAM user ci-deployer');
  });
  it('is medium for a password set without a forced reset, low for an admin reset', () => {
    expect(first('positive-login-profile-no-reset')).toMatchObject({ severity: 'medium', details: { credential: 'password', passwordResetRequired: false } });
    expect(first('positive-admin-reset')?.severity).toBe('low');
  });
  it('ignores self-service, implicit self, failures and deletions', () => {
    for (const n of ['negative-own-access-key', 'negative-own-key-implicit', 'negative-failed', 'negative-delete-access-key']) expect(detect(sampleEvent(D, n)), n).toEqual([]);
  });
  it('treats an assumed-role session named like the target as the same person', () => {
    const e = sampleEvent(D, 'positive-admin-reset');
    expect(detect({ ...e, requestParameters: { userName: 'carol@example.com', passwordResetRequired: false } })).toEqual([]);
  });
});
