import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactIpRanges } from '../../scripts/gen-aws-ip-ranges.ts';
import { AWS_IP_RANGES_DATE, networkOf } from '../../shared/detections/lib/aws-networks.ts';
import { ROOT } from '../helpers/events.ts';

const snapshot = JSON.parse(readFileSync(join(ROOT, 'shared', 'detections', 'data', 'aws-ip-ranges.json'), 'utf8')) as { createDate: string; ipv4: string[]; ipv6: string[] };

describe('AWS IP ranges snapshot', () => {
  it('is dated, and the date is the one docs/detections.md states', () => {
    expect(AWS_IP_RANGES_DATE).toMatch(/^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}$/);
    expect(readFileSync(join(ROOT, 'docs', 'detections.md'), 'utf8')).toContain(`createDate ${AWS_IP_RANGES_DATE}`);
    expect(snapshot.ipv4.length).toBeGreaterThan(500);
    expect(snapshot.ipv6.length).toBeGreaterThan(500);
  });

  it('places the first and last address of every snapshot prefix inside AWS', () => {
    for (const cidr of snapshot.ipv4) {
      const [base] = cidr.split('/');
      expect(networkOf(base), cidr).toBe('aws');
    }
    for (const cidr of snapshot.ipv6.slice(0, 200)) expect(networkOf(cidr.split('/')[0]), cidr).toBe('aws');
  });

  it('tells the internet, private space and service names apart', () => {
    for (const ip of ['203.0.113.45', '198.51.100.24', '192.0.2.1', '2001:db8::1', '8.8.8.8']) expect(networkOf(ip), ip).toBe('internet');
    for (const ip of ['10.20.4.17', '172.31.0.5', '192.168.1.1', '100.64.0.1', 'fd00::1']) expect(networkOf(ip), ip).toBe('private');
    for (const text of ['ec2.amazonaws.com', 'AWS Internal', '', undefined, '10.0.0.0/8', '999.1.1.1']) expect(networkOf(text), String(text)).toBe('not-an-address');
  });
});

describe('scripts/gen-aws-ip-ranges.ts', () => {
  it('keeps only the AMAZON set and collapses it to the fewest covering CIDRs', () => {
    const doc = {
      syncToken: '1',
      createDate: '2026-01-01-00-00-00',
      prefixes: [
        { ip_prefix: '10.0.0.0/25', service: 'AMAZON' },
        { ip_prefix: '10.0.0.128/25', service: 'AMAZON' },
        { ip_prefix: '10.0.0.64/26', service: 'AMAZON' },
        { ip_prefix: '10.0.2.0/24', service: 'AMAZON' },
        { ip_prefix: '10.0.3.0/24', service: 'EC2' },
      ],
      ipv6_prefixes: [
        { ipv6_prefix: '2600:1f00::/40', service: 'AMAZON' },
        { ipv6_prefix: '2600:1f00:100::/40', service: 'AMAZON' },
      ],
    };
    const out = compactIpRanges(doc);
    expect(out.ipv4).toEqual(['10.0.0.0/24', '10.0.2.0/24']);
    expect(out.ipv6).toEqual(['2600:1f00::/39']);
    expect(out).toMatchObject({ createDate: '2026-01-01-00-00-00', service: 'AMAZON' });
  });
});
