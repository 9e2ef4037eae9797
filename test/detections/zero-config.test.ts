import { describe, expect, it } from 'vitest';
import * as mfa from '../../shared/detections/mfa-deactivated.ts';
import * as nacl from '../../shared/detections/nacl-changes.ts';
import * as policy from '../../shared/detections/policy-changed.ts';
import * as rt from '../../shared/detections/route-table-changes.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { sampleEvent } from '../helpers/events.ts';

/** What a careful engineer would never page on, Trailwatch does not page on without being told (docs/noise.md). */
const org = (...accounts: string[]) => ({ organization: { accounts: new Set(accounts) } });

function withRequest(e: TrailEvent, requestParameters: Record<string, unknown>): TrailEvent {
  return { ...e, requestParameters, raw: { ...e.raw, requestParameters } };
}

describe('nacl-changes: the ephemeral-port return-traffic entry is routine', () => {
  it('keeps 1024-65535 TCP from the internet low and says why', () => {
    const [f] = nacl.detect(sampleEvent('nacl-changes', 'positive-ephemeral-return-traffic'));
    expect(f).toMatchObject({ severity: 'low', details: { internetExposure: [] } });
    expect(String(f?.details['routine'])).toMatch(/ephemeral-port return traffic/);
  });
  it('still grades ranges that are not the return-traffic entry', () => {
    const e = sampleEvent('nacl-changes', 'positive-ephemeral-return-traffic');
    const rp = e.requestParameters as Record<string, unknown>;
    // Starts below 1024 (covers SSH): high. Does not reach 65535: not the documented entry, high (RDP, MySQL…).
    expect(nacl.detect(withRequest(e, { ...rp, portRange: { from: 1, to: 65535 } }))[0]?.severity).toBe('high');
    expect(nacl.detect(withRequest(e, { ...rp, portRange: { from: 1024, to: 5000 } }))[0]?.severity).toBe('high');
    expect(nacl.detect(withRequest(e, { ...rp, aclProtocol: '-1' }))[0]?.severity).toBe('high');
    expect(nacl.isEphemeralReturnRule('6', 32768, 65535)).toBe(true);
    expect(nacl.isEphemeralReturnRule('1', 1024, 65535)).toBe(false);
  });
});

describe('route-table-changes: a default route via a NAT gateway is routine', () => {
  it('is low with the reason, while a default route via an instance stays medium', () => {
    const [nat] = rt.detect(sampleEvent('route-table-changes', 'positive-default-route-via-nat'));
    expect(nat).toMatchObject({ severity: 'low', details: { targetType: 'natGatewayId' } });
    expect(String(nat?.details['routine'])).toMatch(/NAT gateway/);
    expect(rt.detect(sampleEvent('route-table-changes', 'positive-default-route-to-instance'))[0]?.severity).toBe('medium');
  });
});

describe('policy-changed: same-organization and AWS service accounts are not foreign', () => {
  const trust = sampleEvent('policy-changed', 'positive-update-trust-foreign');
  const doc = (principal: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole' }] });
  const trustTo = (account: string) => withRequest(trust, { roleName: 'deploy', policyDocument: doc(`arn:aws:iam::${account}:root`) });

  it('keeps a trust to an account outside the organization medium, and one inside it low', () => {
    const outside = policy.detect(trustTo('710987654321'), org(trust.account, '222233334444'))[0];
    expect(outside?.severity).toBe('medium');
    const inside = policy.detect(trustTo('222233334444'), org(trust.account, '222233334444'))[0];
    expect(inside?.severity).toBe('low');
    expect(String(inside?.details['routine'])).toMatch(/222233334444 \(an account of the same organization\)/);
    // Without knowledge of the organization the same trust is foreign.
    expect(policy.detect(trustTo('222233334444'))[0]?.severity).toBe('medium');
  });

  it('treats the ELB log-delivery account writing to a bucket as AWS, but not when it may read', () => {
    const bucket = sampleEvent('policy-changed', 'positive-bucket-policy-public');
    const put = (actions: string[]) =>
      withRequest(bucket, { bucketName: 'alb-logs', bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::127311923021:root' }, Action: actions, Resource: 'arn:aws:s3:::alb-logs/AWSLogs/*' }] } });
    const logs = policy.detect(put(['s3:PutObject']))[0];
    expect(logs?.severity).toBe('low');
    expect(String(logs?.details['routine'])).toMatch(/Elastic Load Balancing log delivery \(us-east-1\)/);
    expect(policy.detect(put(['s3:PutObject', 's3:GetObject']))[0]?.severity).toBe('medium');
  });

  it('keeps a public grant high and marks it dangerous in itself, whatever the organization', () => {
    const open = sampleEvent('policy-changed', 'positive-bucket-policy-public');
    const [f] = policy.detect(open, org(open.account));
    expect(['high', 'critical']).toContain(f?.severity);
    expect(f?.inherentRisk).toBeTruthy();
  });
});

describe('mfa-deactivated: deferred to the replacement check only when that processor runs', () => {
  const e = sampleEvent('mfa-deactivated', 'positive-user-mfa-deactivated');
  it('is high and inherently risky without the processor, low and pending with it', () => {
    expect(mfa.detect(e)[0]).toMatchObject({ severity: 'high' });
    expect(mfa.detect(e)[0]?.inherentRisk).toMatch(/MFA removed/);
    const [deferred] = mfa.detect(e, { mfaReplacement: { windowMinutes: 15 } });
    expect(deferred).toMatchObject({ severity: 'low', details: { replacementCheck: 'pending (15 minutes)' } });
    expect(deferred?.inherentRisk).toBeUndefined();
  });
});
