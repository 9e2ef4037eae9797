import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/mfa-deactivated.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 'mfa-deactivated';

describe('mfa-deactivated', () => {
  it('is high for a user device and names the user', () => {
    const [f] = detect(sampleEvent(D, 'positive-user-mfa-deactivated'));
    expect(f).toMatchObject({ severity: 'high', details: { userName: 'bob', rootMfa: false } });
    expect(f?.title).toContain('user bob');
  });
  it('is critical for the root MFA device', () => {
    const [f] = detect(sampleEvent(D, 'positive-root-mfa-deactivated'));
    expect(f).toMatchObject({ severity: 'critical', details: { rootMfa: true } });
    expect(f?.title).toContain('the root user');
  });
  it('covers DeleteVirtualMFADevice', () => {
    expect(detect(sampleEvent(D, 'positive-delete-virtual-mfa'))[0]?.details['action']).toBe('DeleteVirtualMFADevice');
  });
  it('ignores EnableMFADevice and denied calls', () => {
    expect(detect(sampleEvent(D, 'negative-enable-mfa'))).toEqual([]);
    expect(detect(sampleEvent(D, 'negative-denied-deactivate'))).toEqual([]);
  });
});
