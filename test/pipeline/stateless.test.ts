import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { createDetectionIndex } from '../../shared/pipeline/detection-index.ts';
import { processChunk } from '../../shared/pipeline/stateless.ts';

const record = (i: number, recipientAccountId: unknown): Record<string, unknown> => ({
  eventVersion: '1.09',
  userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/bob', accountId: '111122223333', userName: 'bob' },
  eventTime: '2026-11-20T08:15:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'ListUsers',
  awsRegion: 'us-east-1',
  eventID: `e-${i}`,
  eventType: 'AwsApiCall',
  ...(recipientAccountId === undefined ? {} : { recipientAccountId }),
});

describe('processChunk: the recipient accounts of a chunk', () => {
  it('lists each valid 12-digit account once, in order of first appearance, however the values repeat or alternate with invalid ones', () => {
    const values = ['111122223333', '111122223333', 'not-an-account', '111122223333', '444455556666', undefined, 42, '444455556666', '1234', '777788889999', '111122223333', '', '444455556666', '0000000000001'];
    const envelope = { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: record(99, '999900001111') };
    const chunk = { file: 'f.json', values: [...values.map((a, i) => record(i, a)), envelope], origins: { style: 'records' as const, base: 0 } };
    const observed: string[] = [];
    const out = processChunk(chunk, createDetectionIndex(detections), {}, { observe: (a) => observed.push(a), set: { has: () => false } });
    expect(out.accounts).toEqual(['111122223333', '444455556666', '777788889999', '999900001111']);
    expect(observed).toEqual(out.accounts);
    expect(processChunk(chunk, createDetectionIndex(detections), {}, 'defer').accounts).toEqual(out.accounts);
  });
});
