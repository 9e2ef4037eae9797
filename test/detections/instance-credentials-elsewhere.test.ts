import { describe, expect, it } from 'vitest';
import { detect } from '../../shared/detections/instance-credentials-elsewhere.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { sampleEvent } from '../helpers/events.ts';

/** The positive sample with its principal and address changed. */
function variant(principal: Partial<TrailEvent['principal']>, sourceIp: string): TrailEvent {
  const e = sampleEvent('instance-credentials-elsewhere', 'positive-used-from-internet');
  return { ...e, principal: { ...e.principal, ...principal }, sourceIp };
}

describe('instance-credentials-elsewhere: the session judged once per principal id', () => {
  it('judges each event by its own session and address, however often the principal id came before', () => {
    for (let round = 0; round < 3; round++) {
      expect(detect(variant({}, '203.0.113.45')).map((f) => f.details['instanceId'])).toEqual(['i-0a1b2c3d4e5f67890']);
      // Same principal id, an AWS address: nothing.
      expect(detect(variant({}, '10.0.0.5'))).toEqual([]);
      // A human session of the same role: never an instance.
      expect(detect(variant({ principalId: 'AROAZ3EXAMPLEWEBROLE1:alice', name: 'alice' }, '203.0.113.45'))).toEqual([]);
      // A principal id without a session part: the name decides, each time.
      expect(detect(variant({ principalId: 'AROAZ3EXAMPLEWEBROLE1', name: 'i-0123456789abcdef0' }, '203.0.113.45')).map((f) => f.details['instanceId'])).toEqual(['i-0123456789abcdef0']);
      expect(detect(variant({ principalId: 'AROAZ3EXAMPLEWEBROLE1', name: 'bob' }, '203.0.113.45'))).toEqual([]);
      // An AWS service acting for the role is not the instance's credentials leaving.
      expect(detect(variant({ invokedBy: 'ec2.amazonaws.com' }, '203.0.113.45'))).toEqual([]);
    }
  });
});
