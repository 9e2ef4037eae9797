import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  comparedBehaviours,
  countsLine,
  PEER_STATUSES,
  peerCounts,
  peerCoverageMarkdown,
  peersByBehaviour,
  type Behaviour,
  type InlineSample,
  type PeerCoverage,
} from '../../shared/coverage/peer-coverage.ts';
import { detections } from '../../shared/detections/index.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { RateProcessor } from '../../shared/rates/processor.ts';
import { ROOT, sampleTuning } from '../helpers/events.ts';

// The behaviour-by-behaviour comparison (docs/peer-coverage.md) held to the truth: every claim of
// "full" or "partial" is proven by a sample event that fires the named detection, every other status
// carries its reason, and the doc's counts are the counts of the data.

const data = JSON.parse(readFileSync(join(ROOT, 'test', 'external', 'peer-coverage.json'), 'utf8')) as PeerCoverage;
const RATE_IDS = new Set(['api-rate-anomaly', 'api-error-rate-anomaly']);
const BASELINE_IDS = ['unusual-role-assumption', 'new-api-for-principal', 'signin-from-new-location'];
const registry = new Set(detections.map((d) => d.id));

/** A neutral IAM-user call around an inline sample: nothing in it but the behaviour's own fields. */
function inlineRecord(s: InlineSample): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: s.userIdentity ?? {
      type: 'IAMUser',
      principalId: 'AIDAPEERCOVERAGE0001',
      arn: 'arn:aws:iam::111122223333:user/dana',
      accountId: '111122223333',
      accessKeyId: 'AKIAPEERCOVERAGE0001',
      userName: 'dana',
    },
    eventTime: '2026-11-03T14:22:05Z',
    eventSource: s.eventSource,
    eventName: s.eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.17.5 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0',
    requestParameters: s.requestParameters ?? null,
    responseElements: s.responseElements ?? null,
    requestID: 'f2c3a1e0-6b5d-4c1e-9f7a-0d3b2a1c4e5f',
    eventID: `peer-${s.eventName}`,
    readOnly: false,
    eventType: s.eventType ?? 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
}

function sampleRecords(b: Behaviour): unknown[] {
  const s = b.sample;
  if (s === undefined) throw new Error(`${b.id}: no sample`);
  if (typeof s !== 'string') return [inlineRecord(s)];
  const text = readFileSync(join(ROOT, s), 'utf8');
  return s.endsWith('.jsonl') ? text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) : [JSON.parse(text) as unknown];
}

/** The sample's event names, so a sample cannot prove a behaviour it does not show. */
function eventNames(records: unknown[]): string[] {
  return records.flatMap((r) => {
    const n = normalize(r);
    return n.ok ? [`${n.event.source} ${n.event.name}`] : [];
  });
}

const keyMatches = (key: string, pair: string): boolean => {
  const [ks, kn] = key.split(' ');
  const [ps, pn] = pair.split(' ');
  const part = (k: string | undefined, v: string | undefined) => k === '*' || k === v || (k?.endsWith('*') === true && (v ?? '').startsWith(k.slice(0, -1)));
  return part(ks, ps) && part(kn, pn);
};

/** The tuning a behaviour's detections need to judge anything (the example's approvedRegions), if any. */
const tuned = (b: Behaviour) => ((b.detections ?? []).some((id) => detections.find((d) => d.id === id)?.needsTuning) ? sampleTuning() : undefined);

async function firedBy(b: Behaviour): Promise<Finding[]> {
  const records = sampleRecords(b);
  const run = runDetections(records.map((value, i) => ({ value, origin: `${b.id}#${i}` })), detections, tuned(b));
  if (!(b.detections ?? []).some((d) => RATE_IDS.has(d))) return run.findings;
  const events: TrailEvent[] = [...run.events].sort((x, y) => x.timeMs - y.timeMs);
  const rates = new RateProcessor();
  return [...run.findings, ...(await rates.process(events)), ...(await rates.flush())];
}

describe('peer coverage data (test/external/peer-coverage.json)', () => {
  const peers = peersByBehaviour(data);
  const compared = comparedBehaviours(data);

  it('names every peer with its source, maps every rule to one known behaviour, and lists no rule twice', () => {
    const peerIds = new Set(data.peers.map((p) => p.id));
    expect([...peerIds].sort()).toEqual(['elastic', 'falco', 'guardduty', 'panther', 'sigma']);
    for (const p of data.peers) expect(p.repo !== undefined ? /^[0-9a-f]{40}$/.test(p.commit ?? '') : (p.source ?? '').length > 0, p.id).toBe(true);
    const ids = new Set(data.behaviours.map((b) => b.id));
    expect(ids.size).toBe(data.behaviours.length);
    for (const r of data.rules) {
      expect(peerIds.has(r.peer), r.id).toBe(true);
      expect(ids.has(r.behaviour), `${r.peer} ${r.id} -> ${r.behaviour}`).toBe(true);
    }
    const keys = data.rules.map((r) => `${r.peer} ${r.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Rules actually mapped per peer: the counts the doc's Sources table shows.
    const per = (p: string) => data.rules.filter((r) => r.peer === p).length;
    expect([per('elastic'), per('sigma'), per('falco'), per('panther')].every((n) => n > 20)).toBe(true);
    // No behaviour without a rule.
    for (const b of data.behaviours) expect(peers.get(b.id)?.length ?? 0, b.id).toBeGreaterThan(0);
  });

  it('gives every behaviour two or more peers detect a status, and marks every one-peer behaviour as such', () => {
    for (const b of data.behaviours) {
      const n = peers.get(b.id)?.length ?? 0;
      if (n >= 2) {
        expect(PEER_STATUSES, b.id).toContain(b.status);
        expect(b.onePeer, b.id).toBeUndefined();
        expect((b.events ?? []).length, b.id).toBeGreaterThan(0);
      } else {
        expect(b.onePeer, b.id).toBe(true);
        expect(b.status, b.id).toBeUndefined();
      }
    }
  });

  it('every full or partial behaviour names real detections, and its sample shows the behaviour and fires the first one', async () => {
    const proven: string[] = [];
    for (const b of compared.filter((x) => x.status === 'full' || x.status === 'partial')) {
      const dets = b.detections ?? [];
      expect(dets.length, b.id).toBeGreaterThan(0);
      for (const d of dets) expect(registry.has(d) || RATE_IDS.has(d), `${b.id}: ${d}`).toBe(true);
      const names = eventNames(sampleRecords(b));
      expect(names.length, `${b.id}: sample does not normalise`).toBeGreaterThan(0);
      expect(names.some((pair) => (b.events ?? []).some((k) => keyMatches(k, pair))), `${b.id}: sample ${names.slice(0, 3).join(', ')} is not one of ${(b.events ?? []).join(', ')}`).toBe(true);
      const fired = new Set((await firedBy(b)).map((f) => f.detection));
      expect([...fired], `${b.id}: ${JSON.stringify(b.sample)}`).toContain(dets[0]);
      proven.push(b.id);
    }
    expect(proven.length).toBe(peerCounts(data).full + peerCounts(data).partial);
  });

  it('a full behaviour is watched whole: every call it is keyed on reaches one of its detections', () => {
    const watched = (det: string, pair: string) =>
      RATE_IDS.has(det) || detections.some((d) => d.id === det && d.matches.some((m) => m.eventSource.some((src) => m.eventName.some((n) => keyMatches(`${src} ${n}`, pair)))));
    for (const b of compared.filter((x) => x.status === 'full')) {
      for (const key of b.events ?? []) {
        if (key.includes('*')) continue;
        expect((b.detections ?? []).some((d) => watched(d, key)), `${b.id}: no detection of ${(b.detections ?? []).join(', ')} watches ${key}`).toBe(true);
      }
    }
  });

  it('a full behaviour whose detection needs tuning says so, naming the tuning key', () => {
    for (const b of compared.filter((x) => x.status === 'full')) {
      const needs = (b.detections ?? []).map((id) => detections.find((d) => d.id === id)?.needsTuning?.key).filter((k) => k !== undefined);
      for (const key of needs) expect(b.note ?? '', b.id).toContain(key);
    }
  });

  it('every partial says what is missing; missing, baseline and out-of-scope say why', () => {
    for (const b of compared) {
      if (b.status === 'partial') expect((b.missing ?? '').length, b.id).toBeGreaterThan(20);
      if (b.status === 'missing' || b.status === 'out-of-scope') expect((b.reason ?? '').length, b.id).toBeGreaterThan(20);
      if (b.status === 'baseline') expect(BASELINE_IDS.some((id) => b.id === id || (b.reason ?? '').includes(id)), b.id).toBe(true);
      if (b.status !== 'full' && b.status !== 'partial') expect(b.sample, b.id).toBeUndefined();
    }
  });

  it('a missing claim is true: its keyed events fire no detection when called plainly', () => {
    for (const b of compared.filter((x) => x.status === 'missing')) {
      for (const key of b.events ?? []) {
        const [eventSource, eventName] = key.split(' ');
        if (eventSource === '*' || eventName === undefined || eventName.includes('*')) continue;
        const run = runDetections([{ value: inlineRecord({ eventSource: eventSource ?? '', eventName }) }], detections);
        expect(run.findings.map((f) => f.detection), `${b.id}: ${key}`).toEqual([]);
      }
    }
  });
});

describe('docs/peer-coverage.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'peer-coverage.md'), 'utf8');

  it('is exactly what the data generates (run npx tsx scripts/gen-coverage.ts when this fails)', () => {
    expect(doc).toBe(peerCoverageMarkdown(data));
  });

  it('states the counts computed from the data, and one table row per compared behaviour', () => {
    const c = peerCounts(data);
    expect(doc).toContain(`**Now: ${countsLine(c)}.**`);
    expect(c.full + c.partial + c.missing + c.baseline + c['out-of-scope']).toBe(c.behaviours);
    const rows = doc.split('\n').filter((l) => /^\| \*\*.+\*\* \(`[a-z0-9-]+`\) \|/.test(l));
    expect(rows).toHaveLength(c.behaviours);
    for (const s of ['full', 'partial', 'missing', 'baseline (stateful)', 'out of scope'] as const) {
      const n = rows.filter((r) => r.split(' | ')[3] === s).length;
      expect(n, s).toBe(s === 'baseline (stateful)' ? c.baseline : s === 'out of scope' ? c['out-of-scope'] : c[s]);
    }
  });
});
