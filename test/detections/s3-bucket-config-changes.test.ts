import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/s3-bucket-config-changes.ts';
import { sampleEvent } from '../helpers/events.ts';

const D = 's3-bucket-config-changes';
const first = (n: string) => detect(sampleEvent(D, n))[0];

describe('s3-bucket-config-changes', () => {
  it('is high when Block Public Access is removed and names the bucket', () => {
    expect(first('positive-delete-public-access-block')).toMatchObject({ severity: 'high', details: { bucket: 'acme-invoices', effect: 'Block Public Access removed' } });
  });
  it('is medium for suspended versioning and a 1-day expiration rule', () => {
    expect(first('positive-versioning-suspended')).toMatchObject({ severity: 'medium', details: { effect: 'versioning suspended' } });
    expect(first('positive-short-lifecycle')?.details['effect']).toContain('expire-everything');
  });
  it('is low for CORS (CIS list)', () => {
    expect(first('positive-put-cors')?.severity).toBe('low');
  });
  it('says which Block Public Access flags were turned off', () => {
    const e = sampleEvent(D, 'negative-public-access-block-all-on');
    const weakened = { ...e, requestParameters: { ...e.requestParameters, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } } };
    expect(detect(weakened)[0]?.details['effect']).toBe('Block Public Access weakened: BlockPublicPolicy, RestrictPublicBuckets off');
  });
  it('does not report protections being switched on, or denied calls', () => {
    for (const n of ['negative-versioning-enabled', 'negative-logging-enabled', 'negative-public-access-block-all-on', 'negative-denied-delete-pab']) {
      expect(detect(sampleEvent(D, n)), n).toEqual([]);
    }
  });
  it('reads a logging call without LoggingEnabled as disabling, even with null-ish input', () => {
    const e = sampleEvent(D, 'negative-logging-enabled');
    expect(detect({ ...e, requestParameters: { bucketName: 'b', BucketLoggingStatus: {} } })[0]?.severity).toBe('medium');
    expect(detect({ ...e, requestParameters: null })[0]?.details['bucket']).toBe('an unknown bucket');
  });
});
