import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noiseReport } from '../../scripts/bench-noise.ts';
import { generateOrg, type OrgManifest } from '../../scripts/gen-org.ts';
import { detections } from '../../shared/detections/index.ts';
import { readPaths } from '../../shared/input/files.ts';
import type { Finding } from '../../shared/model/types.ts';
import { deliveryPath } from '../../shared/notify/grouping.ts';
import { createEnrichers } from '../../shared/pipeline/enrichers.ts';
import { createReplayProcessors } from '../../shared/pipeline/processors.ts';
import { replayRecords } from '../../shared/pipeline/replay.ts';

/** A small (3 days, 8,000 events a weekday) copy of the benchmark's organization, replayed end to end. */
describe('the benign-organization generator and its replay', () => {
  let dir: string;
  let manifest: OrgManifest;
  let findings: Finding[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trailwatch-org-'));
    manifest = await generateOrg({ out: join(dir, 'a'), days: 3, perDay: 8000, seed: 11 });
    const result = await replayRecords(readPaths([join(dir, 'a')]), { detections, enrichers: await createEnrichers({ mode: 'local' }), processors: await createReplayProcessors({}) });
    findings = result.findings;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is deterministic: same seed, same bytes', async () => {
    const again = await generateOrg({ out: join(dir, 'b'), days: 3, perDay: 8000, seed: 11 });
    for (const f of manifest.files) expect(gunzipSync(readFileSync(join(dir, 'b', f))).equals(gunzipSync(readFileSync(join(dir, 'a', f))))).toBe(true);
    expect(again).toEqual(manifest);
    expect(manifest.events).toBeGreaterThan(10_000);
    const other = await generateOrg({ out: join(dir, 'c'), days: 1, perDay: 8000, seed: 12 });
    expect(gunzipSync(readFileSync(join(dir, 'c', 'day-01.jsonl.gz'))).equals(gunzipSync(readFileSync(join(dir, 'a', 'day-01.jsonl.gz'))))).toBe(false);
    expect(other.events).toBeGreaterThan(0);
  });

  it('writes CloudTrail records as the services log them, in event-time order', () => {
    const lines = gunzipSync(readFileSync(join(dir, 'a', 'day-01.jsonl.gz'))).toString('utf8').trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const times = records.map((r) => String(r['eventTime']));
    expect([...times].sort()).toEqual(times);
    const temp = records.filter((r) => String((r['userIdentity'] as Record<string, unknown>)['accessKeyId'] ?? '').startsWith('ASIA'));
    expect(temp.length).toBeGreaterThan(records.length / 2);
    expect(new Set(records.map((r) => r['recipientAccountId'])).size).toBe(5);
    expect(records.some((r) => r['eventName'] === 'CreateNetworkAclEntry')).toBe(true);
  });

  it('hides the attack chain of day 3 and pages on it', () => {
    const report = noiseReport(findings, manifest, { events: manifest.events, ms: 1, maxRssMB: 1 });
    expect(report.attacks.map((a) => a.id)).toEqual(['mfa-removed-ssh-open']);
    expect(report.recall).toBe('1/1');
  });

  it('finds the routine changes but does not page on them', () => {
    const benign = (d: string) => findings.filter((f) => f.detection === d && !String(f.principal.arn).includes('legacy-admin'));
    for (const d of ['nacl-changes', 'route-table-changes']) {
      expect(benign(d).length).toBeGreaterThan(0);
      expect(benign(d).filter((f) => deliveryPath(f) === 'page')).toEqual([]);
    }
    // Same-organization trusts and ECR grants, ELB log delivery: none medium or above for a cross-account reason.
    const crossAccount = findings.filter((f) => f.detection === 'policy-changed' && JSON.stringify(f.details['reasons']).includes('other account'));
    expect(crossAccount).toEqual([]);
    // Temporary keys are never rate keys.
    expect(findings.filter((f) => f.details['dimension'] === 'accessKey' && String(f.details['key']).startsWith('ASIA'))).toEqual([]);
  });
});
