import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/console-signin-without-mfa.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 'console-signin-without-mfa';

describe('console-signin-without-mfa', () => {
  it('fires medium for an IAM user without MFA and names user and IP', () => {
    const [f] = detect(sampleEvent(D, 'positive-iam-user-no-mfa'));
    expect(f).toMatchObject({ severity: 'medium', details: { user: 'alice', mfaUsed: false } });
    expect(f?.title).toContain('alice');
    expect(f?.title).toContain('203.0.113.51');
  });

  it('compares MFAUsed case-insensitively', () => {
    expect(detect(sampleEvent(D, 'positive-iam-user-no-mfa-uppercase'))).toHaveLength(1);
  });

  it('stays quiet for MFA, failures, root, Identity Center and SAML sign-ins', () => {
    for (const n of ['negative-iam-user-with-mfa', 'negative-failed-no-mfa', 'negative-root-no-mfa', 'negative-identity-center-role', 'negative-saml-federated']) {
      expect(detect(sampleEvent(D, n)), n).toEqual([]);
    }
  });

  it('does not fire when MFAUsed is missing (unknown is not "No")', () => {
    const e = sampleEvent(D, 'positive-iam-user-no-mfa');
    expect(detect({ ...e, additionalEventData: null })).toEqual([]);
  });
});
