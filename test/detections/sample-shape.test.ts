import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXTERNAL_FINDING_DETAIL_TYPES } from '../../shared/model/external-findings.ts';
import { eventBridgeSource } from '../../shared/pipeline/event-rules.ts';
import { EVENTS_DIR, readJson, sampleNames } from '../helpers/events.ts';

// Samples are EventBridge envelopes around real-shaped CloudTrail records: unique UUID eventIDs, the
// example account, a detail-type and source that match the record (the rule generator relies on it).
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DETAIL_TYPES = new Set(['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail', 'AWS Service Event via CloudTrail']);

describe('sample events are real-shaped envelopes', () => {
  const folders = readdirSync(EVENTS_DIR).filter((f) => statSync(join(EVENTS_DIR, f)).isDirectory());
  // `any`: JSON from disk whose shape is exactly what these assertions check.
  const all = folders.flatMap((folder) => sampleNames(folder).map((name) => ({ file: `${folder}/${name}`, env: readJson(join(EVENTS_DIR, folder, `${name}.json`)) as Record<string, any> })));
  // Other detectors' findings (GuardDuty, Security Hub, Inspector) are not CloudTrail records.
  const samples = all.filter((s) => EXTERNAL_FINDING_DETAIL_TYPES[s.env['detail-type']] === undefined);
  const external = all.filter((s) => EXTERNAL_FINDING_DETAIL_TYPES[s.env['detail-type']] !== undefined);

  it('every eventID is a unique UUID', () => {
    const ids = samples.map((s) => s.env['detail']?.['eventID'] as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of samples) if (!s.file.startsWith('root-signin/')) expect(s.env['detail']['eventID'], s.file).toMatch(UUID_V4);
  });

  it('envelope and record agree on account, source and detail-type', () => {
    for (const { file, env } of samples) {
      const d = env['detail'];
      // The example account; unused-region-activity's per-account samples use the example organization's
      // `previews` account, whose own approvedRegions list they exercise (docs/tuning-example.yaml).
      const account = file.startsWith('unused-region-activity/') && d['recipientAccountId'] === '333344445555' ? '333344445555' : '111122223333';
      expect(env['account'], file).toBe(account);
      expect(d['recipientAccountId'], file).toBe(account);
      expect(DETAIL_TYPES.has(env['detail-type']), file).toBe(true);
      expect(env['source'], file).toBe(eventBridgeSource(String(d['eventSource'])));
      expect(env['detail-type'] === 'AWS Console Sign In via CloudTrail', file).toBe(d['eventType'] === 'AwsConsoleSignIn');
    }
  });

  it('detector-finding envelopes have the source of their detail-type, a UUID id and the example account', () => {
    expect(external.length).toBeGreaterThan(0);
    for (const { file, env } of external) {
      expect(env['account'], file).toBe('111122223333');
      expect(env['id'], file).toMatch(UUID_V4);
      expect(env['source'], file).toBe(`aws.${EXTERNAL_FINDING_DETAIL_TYPES[env['detail-type']]?.service}`);
    }
  });
});
