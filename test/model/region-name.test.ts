import { describe, expect, it } from 'vitest';
import { REGION_NAME as TUNING_REGION_NAME } from '../../shared/detections/lib/regions.ts';
import { cloudTrailEventUrl } from '../../shared/alerts/links.ts';
import { parseHeartbeat } from '../../shared/heartbeat/beat.ts';
import { LINKABLE_REGION, REGION_NAME, regionName } from '../../shared/model/region-name.ts';

const REAL = ['us-east-1', 'eu-west-1', 'ap-southeast-7', 'us-gov-west-1', 'us-isob-east-1', 'cn-north-1', 'il-central-1', 'eusc-de-east-1', 'mx-central-1'];
const NOT = ['', 'EU-WEST-1', 'eu-west', 'eu-west-1a', 'eu-west-2r', 'us-east-1.evil.example', 'eu-west-1/../', 'eu west 1', 'abcde-west-1', 'us-east-100'];

describe('region names: one shape for the tuning file, heartbeats, revert commands and console links', () => {
  it.each(REAL)('%s is a region name, and linkable', (r) => {
    expect(regionName(r)).toBe(r);
    expect(LINKABLE_REGION.test(r)).toBe(true);
  });
  it.each(NOT)('%j is not a region name', (r) => {
    expect(regionName(r)).toBeUndefined();
  });
  it("takes anonymised logs' regions (eu-west-2r) into links, and nothing that could choose a URL's host or path", () => {
    expect(LINKABLE_REGION.test('eu-west-2r')).toBe(true);
    for (const bad of ['us-east-1.evil.example', 'eu-west-1/../', 'eu-west-1#x', 'eu-west-1?a=b', 'EU-WEST-1']) expect(LINKABLE_REGION.test(bad), bad).toBe(false);
  });
  it('a console link is built for a linkable region and never for anything else', () => {
    const eventId = '3c5b3bd2-1c8a-4bd1-9d3c-8b4e0f0f2b11';
    expect(cloudTrailEventUrl({ region: 'eusc-de-east-1', eventId })).toContain('eusc-de-east-1');
    expect(cloudTrailEventUrl({ region: 'eu-west-2r', eventId })).toContain('eu-west-2r');
    expect(cloudTrailEventUrl({ region: 'us-east-1.evil.example', eventId })).toBeUndefined();
  });
  it('the tuning check uses the same pattern', () => {
    expect(TUNING_REGION_NAME).toBe(REGION_NAME);
  });
  it('a heartbeat from a European Sovereign Cloud region is read (the old pattern took two-letter prefixes only), and from GovCloud as before', () => {
    for (const region of ['eusc-de-east-1', 'us-gov-west-1']) {
      const beat = parseHeartbeat({ source: 'aws.events', 'detail-type': 'Scheduled Event', account: '111122223333', region, time: '2026-11-20T09:00:00Z', detail: {} });
      expect(beat, region).toMatchObject({ ok: true, beat: { region } });
    }
  });
});
