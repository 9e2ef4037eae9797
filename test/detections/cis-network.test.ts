import { describe, expect, it } from 'vitest';
import * as sg from '../../shared/detections/security-group-changes.ts';
import * as nacl from '../../shared/detections/nacl-changes.ts';
import * as gw from '../../shared/detections/network-gateway-changes.ts';
import * as rt from '../../shared/detections/route-table-changes.ts';
import * as vpc from '../../shared/detections/vpc-changes.ts';
import { sampleEvent } from '../helpers/events.ts';

describe('security-group-changes', () => {
  const f = (n: string) => sg.detect(sampleEvent('security-group-changes', n))[0];
  it('is high and says which admin port is opened to the internet (IPv4 and IPv6)', () => {
    expect(f('positive-ssh-open-to-world')).toMatchObject({ severity: 'high', details: { internetExposure: ['SSH (22)'] } });
    expect(f('positive-ssh-open-to-world')?.title).toContain('opened SSH (22) to the internet');
    expect(f('positive-rdp-open-ipv6')?.details['internetExposure']).toEqual(['RDP (3389)']);
  });
  it('is medium for other internet-wide ingress and low for a narrow CIDR', () => {
    expect(f('positive-https-open-to-world')?.severity).toBe('medium');
    expect(f('positive-ssh-from-office')?.severity).toBe('low');
  });
  it('treats an anonymised /0 as the whole internet and reads the flat legacy shape', () => {
    const e = sampleEvent('security-group-changes', 'positive-ssh-from-office');
    const flat = { ...e, requestParameters: { groupId: 'sg-1', cidrIp: '208.236.235.254/0', fromPort: 22, toPort: 22, ipProtocol: 'tcp', ipPermissions: {} } };
    expect(sg.detect(flat)[0]?.severity).toBe('high');
  });
  it('treats protocol -1 from the world as all ports (high)', () => {
    const e = sampleEvent('security-group-changes', 'positive-ssh-from-office');
    const all = { ...e, requestParameters: { groupId: 'sg-1', ipPermissions: { items: [{ ipProtocol: '-1', ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } } };
    expect(sg.detect(all)[0]?.details['internetExposure']).toEqual(['all ports']);
  });
  it('ignores failed calls and reads', () => {
    expect(f('negative-failed-authorize')).toBeUndefined();
    expect(f('negative-describe')).toBeUndefined();
  });
});

describe('nacl-changes', () => {
  it('is high for an inbound allow-all from the internet, low for a routine delete', () => {
    expect(nacl.detect(sampleEvent('nacl-changes', 'positive-allow-all-inbound'))[0]).toMatchObject({ severity: 'high', details: { internetExposure: ['all ports'] } });
    expect(nacl.detect(sampleEvent('nacl-changes', 'positive-delete-entry'))[0]?.severity).toBe('low');
  });
  it('is medium for an internet-wide allow on a harmless port range', () => {
    const e = sampleEvent('nacl-changes', 'positive-allow-all-inbound');
    const r = { ...e, requestParameters: { ...e.requestParameters, aclProtocol: '6', portRange: { from: 700, to: 702 } } };
    expect(nacl.detect(r)[0]?.severity).toBe('medium');
  });
});

describe('network-gateway-changes', () => {
  it('is medium for an internet gateway attachment and low for a customer gateway', () => {
    expect(gw.detect(sampleEvent('network-gateway-changes', 'positive-attach-igw'))[0]).toMatchObject({ severity: 'medium', details: { vpcId: 'vpc-0123456789abcdef0' } });
    expect(gw.detect(sampleEvent('network-gateway-changes', 'positive-create-customer-gateway'))[0]?.severity).toBe('low');
  });
});

describe('route-table-changes', () => {
  it('is medium for a default route through an instance and names the target', () => {
    const [f] = rt.detect(sampleEvent('route-table-changes', 'positive-default-route-to-instance'));
    expect(f).toMatchObject({ severity: 'medium', details: { target: 'i-0abcdef1234567890', targetType: 'instanceId' } });
  });
  it('is low for a new route table', () => {
    expect(rt.detect(sampleEvent('route-table-changes', 'positive-create-route-table'))[0]?.severity).toBe('low');
  });
});

describe('vpc-changes', () => {
  it('is high when flow logs are deleted', () => {
    expect(vpc.detect(sampleEvent('vpc-changes', 'positive-delete-flow-logs'))[0]).toMatchObject({ severity: 'high' });
  });
  it('is medium for peering with another account and low for CreateVpc', () => {
    expect(vpc.detect(sampleEvent('vpc-changes', 'positive-cross-account-peering'))[0]).toMatchObject({ severity: 'medium', details: { peerOwnerId: '444455556666' } });
    expect(vpc.detect(sampleEvent('vpc-changes', 'positive-create-vpc'))[0]).toMatchObject({ severity: 'low', details: { vpcId: 'vpc-0123456789abcdef0' } });
  });
});
