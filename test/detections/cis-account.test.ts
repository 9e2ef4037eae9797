import { describe, expect, it } from 'vitest';
import * as kms from '../../shared/detections/kms-key-deletion.ts';
import * as config from '../../shared/detections/config-changes.ts';
import * as org from '../../shared/detections/organizations-changes.ts';
import * as policy from '../../shared/detections/policy-changed.ts';
import { sampleEvent } from '../helpers/events.ts';

describe('kms-key-deletion', () => {
  it('names the key and the deletion date', () => {
    const [f] = kms.detect(sampleEvent('kms-key-deletion', 'positive-schedule-deletion'));
    expect(f).toMatchObject({ severity: 'high', details: { action: 'scheduled-deletion', pendingWindowInDays: 7, deletionDate: 'Nov 27, 2026, 9:14:37 AM' } });
    expect(f?.title).toContain('1234abcd-12ab-34cd-56ef-1234567890ab');
  });
  it('ignores a denied attempt', () => {
    expect(kms.detect(sampleEvent('kms-key-deletion', 'negative-denied-schedule'))).toEqual([]);
  });
});

describe('config-changes', () => {
  it('is high when recording stops and medium for a delivery channel update', () => {
    expect(config.detect(sampleEvent('config-changes', 'positive-stop-recorder'))[0]).toMatchObject({ severity: 'high', details: { name: 'default', stopsRecording: true } });
    expect(config.detect(sampleEvent('config-changes', 'positive-put-delivery-channel'))[0]?.severity).toBe('medium');
  });

  it('reports a deleted Config rule (a check that would flag later changes) as medium, naming the rule', () => {
    expect(config.detect(sampleEvent('config-changes', 'positive-delete-config-rule'))[0]).toMatchObject({
      severity: 'medium',
      details: { action: 'DeleteConfigRule', name: 's3-bucket-public-read-prohibited', stopsRecording: false },
    });
  });
});

describe('organizations-changes', () => {
  it('is critical when the account leaves its organisation, high for a denied attempt', () => {
    expect(org.detect(sampleEvent('organizations-changes', 'positive-leave-organization'))[0]?.severity).toBe('critical');
    expect(org.detect(sampleEvent('organizations-changes', 'positive-leave-organization-denied'))[0]).toMatchObject({ severity: 'high', details: { attempted: true } });
  });
  it('is medium for accepting a handshake (joining an organisation)', () => {
    expect(org.detect(sampleEvent('organizations-changes', 'positive-accept-handshake'))[0]?.severity).toBe('medium');
  });
  it('leaves Organizations policy events to policy-changed, with no overlap in match sets', () => {
    const orgNames = new Set(org.meta.matches.flatMap((m) => m.eventName));
    const policyOrgNames = policy.meta.matches.filter((m) => m.eventSource.includes('organizations.amazonaws.com')).flatMap((m) => m.eventName);
    expect(policyOrgNames.length).toBeGreaterThan(0);
    for (const n of policyOrgNames) expect(orgNames.has(n), n).toBe(false);
  });
});
