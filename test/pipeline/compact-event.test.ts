import { describe, expect, it } from 'vitest';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { compactEvent } from '../../shared/pipeline/stateless.ts';
import { sampleEvents } from '../helpers/trail-events.ts';

function normalized(value: unknown): TrailEvent {
  const n = normalize(value);
  if (!n.ok) throw new Error(n.skip.reason);
  return n.event;
}

/** The sample events as normalised twice over: two objects of each, as two deliveries of a record give. */
function twice(): Array<{ label: string; a: TrailEvent; b: TrailEvent }> {
  return sampleEvents().flatMap(({ label, event }) => {
    const n = normalize(event);
    return n.ok ? [{ label, a: n.event, b: normalized(structuredClone(event)) }] : [];
  });
}

describe('compactEvent: the events held for the stateful processors share what is the same', () => {
  it('every event of the same caller holds one principal object, equal to what normalisation gave each', () => {
    const pairs = twice();
    expect(pairs.length).toBeGreaterThan(150);
    for (const { label, a, b } of pairs) {
      const expected = structuredClone(b.principal);
      const first = compactEvent(a).principal;
      const second = compactEvent(b).principal;
      expect(second, label).toEqual(expected);
      expect(second, label).toBe(first);
    }
  });

  it('callers that differ in any field (access key, MFA, session issuer) keep principals of their own', () => {
    const record = (sampleEvents().find((s) => (s.event['detail'] as Record<string, unknown> | undefined)?.['userIdentity'] !== undefined)?.event ?? {}) as Record<string, unknown>;
    const variant = (change: (identity: Record<string, unknown>) => void): TrailEvent => {
      const copy = structuredClone(record);
      const identity = (copy['detail'] as Record<string, unknown>)['userIdentity'] as Record<string, unknown>;
      change(identity);
      return normalized(copy);
    };
    const base = compactEvent(variant(() => undefined)).principal;
    const others = [
      variant((u) => (u['accessKeyId'] = 'ASIAOTHERKEY00000000')),
      variant((u) => (u['sessionContext'] = { attributes: { mfaAuthenticated: 'true' }, sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/Other' } })),
      variant((u) => (u['sessionContext'] = { attributes: { mfaAuthenticated: 'true' }, sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/Another' } })),
      variant((u) => (u['invokedBy'] = 'cloudformation.amazonaws.com')),
    ];
    const seen = new Set([base]);
    for (const e of others) {
      const expected = structuredClone(e.principal);
      const held = compactEvent(e).principal;
      expect(held).toEqual(expected);
      expect(seen.has(held)).toBe(false);
      seen.add(held);
    }
  });

  it('keeps of raw only eventCategory and managementEvent, one object per pair of values', () => {
    const management = normalized({ eventVersion: '1.09', eventID: 'c-1', eventTime: '2026-11-20T09:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', awsRegion: 'us-east-1', eventType: 'AwsApiCall', eventCategory: 'Management', managementEvent: true, userIdentity: { type: 'IAMUser', userName: 'alice' }, recipientAccountId: '111122223333' });
    const again = normalized({ ...management.raw, eventID: 'c-2' });
    const data = normalized({ ...management.raw, eventID: 'c-3', eventName: 'GetObject', eventCategory: 'Data', managementEvent: false });
    const [m, m2, d] = [compactEvent(management), compactEvent(again), compactEvent(data)];
    expect(m.raw).toEqual({ eventCategory: 'Management', managementEvent: true });
    expect(m2.raw).toBe(m.raw);
    expect(d.raw).toEqual({ eventCategory: 'Data', managementEvent: false });
    expect(d.raw).not.toBe(m.raw);
    expect(() => {
      'use strict';
      (m.raw as Record<string, unknown>)['eventCategory'] = 'Data';
    }).toThrow(TypeError);
  });
});
