import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/root-signin.ts';
import { sampleEvent } from '../helpers/events.ts';

describe('root-signin', () => {
  it('alerts critical on a successful root sign-in and says MFA was used', () => {
    const [f, ...rest] = detect(sampleEvent('root-signin', 'positive-success-mfa'));
    expect(rest).toHaveLength(0);
    expect(f).toMatchObject({ detection: 'root-signin', severity: 'critical', account: '111122223333' });
    expect(f?.details).toMatchObject({ outcome: 'success', mfaUsed: true });
    expect(f?.title).toContain('with MFA');
  });

  it('says WITHOUT MFA when MFAUsed is No', () => {
    const [f] = detect(sampleEvent('root-signin', 'positive-success-no-mfa'));
    expect(f?.details).toMatchObject({ outcome: 'success', mfaUsed: false });
    expect(f?.title).toContain('WITHOUT MFA');
  });

  it('alerts high on a failed root sign-in', () => {
    const [f] = detect(sampleEvent('root-signin', 'positive-failure'));
    expect(f).toMatchObject({ severity: 'high', details: { outcome: 'failure', errorMessage: 'Failed authentication' } });
  });

  it('does not alert on an IAM user sign-in', () => {
    expect(detect(sampleEvent('root-signin', 'negative-iam-user-signin'))).toEqual([]);
  });
});
