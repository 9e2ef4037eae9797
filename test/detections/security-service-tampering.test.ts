import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/security-service-tampering.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 'security-service-tampering';
const first = (n: string) => detect(sampleEvent(D, n))[0];

describe('security-service-tampering', () => {
  it('is critical when the GuardDuty detector is deleted, naming it', () => {
    const f = first('positive-guardduty-detector-deleted');
    expect(f).toMatchObject({ severity: 'critical', details: { service: 'guardduty', resource: '12abc34d567e8fa901bc2d34e56789f0' } });
    expect(f?.title).toContain('GuardDuty detector deleted');
  });
  it('is high for disabling GuardDuty or pausing Macie, critical for disabling Security Hub', () => {
    expect(first('positive-guardduty-disabled')?.severity).toBe('high');
    expect(first('positive-macie-paused')?.severity).toBe('high');
    expect(first('positive-securityhub-disabled')?.severity).toBe('critical');
  });
  it('is medium for a GuardDuty trusted IP list (findings for those IPs are suppressed)', () => {
    expect(first('positive-guardduty-trusted-ip-list')).toMatchObject({ severity: 'medium' });
  });
  it('stays quiet on enabling, routine settings, reads and denied calls', () => {
    for (const n of ['negative-guardduty-frequency', 'negative-guardduty-list-detectors', 'negative-denied-delete-detector', 'negative-securityhub-enabled']) expect(detect(sampleEvent(D, n)), n).toEqual([]);
  });
  it('reports an auto-archive filter but not a plain filter', () => {
    const e = sampleEvent(D, 'positive-guardduty-trusted-ip-list');
    expect(detect({ ...e, name: 'CreateFilter', requestParameters: { detectorId: 'd', name: 'hide', action: 'ARCHIVE' } })[0]?.severity).toBe('medium');
    expect(detect({ ...e, name: 'CreateFilter', requestParameters: { detectorId: 'd', name: 'tag', action: 'NOOP' } })).toEqual([]);
  });
});
