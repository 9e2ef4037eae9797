import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../scripts/bench-replay.ts';
import { detections } from '../../shared/detections/index.ts';
import { readPaths } from '../../shared/input/files.ts';
import { idHash } from '../../shared/model/id-hash.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { decodeEvents, encodeEvents } from '../../shared/pipeline/event-codec.ts';
import { createReplayProcessors } from '../../shared/pipeline/processors.ts';
import { replayFiles, replayRecords, type ReplayResult } from '../../shared/pipeline/replay.ts';
import { withoutTsx } from '../../shared/pipeline/replay-workers.ts';
import { compactEvent } from '../../shared/pipeline/stateless.ts';
import { EVENTS_DIR, EXTERNAL_DIR, hasExternal, readJson } from '../helpers/events.ts';

const work = mkdtempSync(join(tmpdir(), 'trailwatch-parallel-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What must not depend on the thread count: every finding (in order, every field) and every count. */
function outcome(r: ReplayResult): string {
  return JSON.stringify({ findings: r.findings, counts: r.counts, duplicates: r.duplicates, lateEvents: r.lateEvents });
}

async function replayWith(paths: string[], workers: number): Promise<ReplayResult> {
  return replayFiles(paths, { detections, workers, processors: await createReplayProcessors({}) });
}

describe('parallel replay (worker threads for the stateless stage)', () => {
  it('gives the single-threaded findings and counts on a generated corpus with rate anomalies, at 1 and 3 workers', async () => {
    const dir = join(work, 'corpus');
    mkdirSync(dir);
    generateCorpus(dir, 12_000);
    // The traffic sample (JSON Lines) adds API-rate and error-rate anomalies: the stateful pass's order matters.
    const paths = [dir, join(EVENTS_DIR, 'traffic')];
    const single = await replayWith(paths, 0);
    expect(single.counts.eventsProcessed).toBeGreaterThan(12_000);
    expect(single.findings.length).toBeGreaterThan(100);
    expect(single.findings.filter((f) => f.detection.startsWith('api-')).length).toBeGreaterThanOrEqual(2);
    for (const workers of [1, 3]) expect(outcome(await replayWith(paths, workers)), `${workers} workers`).toBe(outcome(single));
    // And the record-stream reader (readPaths + replayRecords) agrees too.
    const records = await replayRecords(readPaths(paths), { detections, processors: await createReplayProcessors({}) });
    expect(records.findings).toEqual(single.findings);
  }, 300_000);

  it('gives the single-threaded findings, in order, with rate bursts, duplicates and late events, at 1 and 2 workers', async () => {
    const dir = join(work, 'mixed');
    mkdirSync(dir);
    generateCorpus(dir, 12_000);
    const names = readdirSync(dir).sort();
    // Duplicates: two files delivered twice (CloudTrail is at least once), read right after the originals.
    for (const n of [names[2], names[7]] as string[]) copyFileSync(join(dir, n), join(dir, n.replace('.json.gz', '-again.json.gz')));
    // Late events: the first file's records again with new eventIDs, read last, 50 minutes after their time.
    const first = JSON.parse(gunzipSync(readFileSync(join(dir, names[0] as string))).toString('utf8')) as { Records: Array<Record<string, unknown>> };
    writeFileSync(join(dir, 'zz-late.json.gz'), gzipSync(JSON.stringify({ Records: first.Records.map((r, i) => ({ ...r, eventID: `late-${i}` })) })));
    // The traffic sample's API-rate and error-rate bursts, read first (its events are older than the corpus).
    const paths = [join(EVENTS_DIR, 'traffic'), dir];
    const options = { detections, reorderMinEvents: 1_000 };
    const single = await replayFiles(paths, { ...options, processors: await createReplayProcessors({}) });
    expect(single.duplicates).toBe(2_000);
    expect(single.lateEvents).toBeGreaterThan(500);
    expect(single.findings.filter((f) => f.detection.startsWith('api-')).length).toBeGreaterThanOrEqual(2);
    for (const workers of [2, 1]) {
      const parallel = await replayFiles(paths, { ...options, workers, processors: await createReplayProcessors({}) });
      expect(outcome(parallel), `${workers} workers`).toBe(outcome(single));
      expect(parallel.maxReorderHeld).toBe(single.maxReorderHeld);
      // Every file (the corpus, two again, the late one and the traffic sample) read once, by a worker.
      expect(parallel.threads?.filesInWorkers).toBe(names.length + 4);
    }
  }, 300_000);

  it.skipIf(!hasExternal('invictus'))('gives the single-threaded findings and counts on the Invictus log set', async () => {
    const dir = join(EXTERNAL_DIR, 'invictus');
    const single = await replayWith([dir], 0);
    expect(single.findings.length).toBeGreaterThan(100);
    expect(outcome(await replayWith([dir], 2))).toBe(outcome(single));
  }, 300_000);

  it('keeps bad input identical: a corrupt record, a truncated .gz, JSON Lines, envelopes and an empty file', async () => {
    const dir = join(work, 'bad');
    mkdirSync(dir);
    const records = Array.from({ length: 30 }, (_, i) => ({ ...(readJson(join(EVENTS_DIR, 'root-signin', 'negative-iam-user-signin.json')) as { detail: Record<string, unknown> }).detail, eventID: `e-${i}`, eventTime: `2026-11-20T10:${String(i).padStart(2, '0')}:00Z` }));
    const text = JSON.stringify({ Records: records });
    writeFileSync(join(dir, 'a-corrupt.json'), text.replace('"e-3"', '"e-3",,'));
    writeFileSync(join(dir, 'b-cut.json.gz'), gzipSync(text).subarray(0, 400));
    writeFileSync(join(dir, 'c-lines.jsonl'), `${records.slice(0, 5).map((r) => JSON.stringify(r)).join('\n')}\nnot json\n`);
    writeFileSync(join(dir, 'd-empty.json'), '');
    writeFileSync(join(dir, 'e-envelope.json'), readFileSync(join(EVENTS_DIR, 'policy-changed', 'positive-update-trust-foreign.json')));
    const single = await replayWith([dir], 0);
    expect(single.counts.unreadable?.length).toBeGreaterThanOrEqual(3);
    expect(single.counts.eventsSkipped).toBeGreaterThan(0);
    expect(outcome(await replayWith([dir], 2))).toBe(outcome(single));
  }, 300_000);

  it('makes the same-organization judgement a worker cannot (it needs the accounts learned so far) in the main thread, in input order', async () => {
    // The trust policy grants 444455556666. Read after a file of that account's own trail, it is a sibling
    // account (learned organization); read before it, a foreign one.
    const trust = readJson(join(EVENTS_DIR, 'policy-changed', 'positive-update-trust-foreign.json')) as { detail: Record<string, unknown> };
    const sibling = { ...(trust.detail as Record<string, unknown>), eventID: 'sibling-1', eventName: 'ListRoles', readOnly: true, requestParameters: null, recipientAccountId: '444455556666' };
    const run = async (order: 'sibling-first' | 'sibling-last', workers: number) => {
      const dir = join(work, `${order}-${workers}`);
      mkdirSync(dir);
      writeFileSync(join(dir, order === 'sibling-first' ? '1.json' : '2.json'), JSON.stringify({ Records: [sibling] }));
      writeFileSync(join(dir, order === 'sibling-first' ? '2.json' : '1.json'), JSON.stringify({ Records: [trust.detail] }));
      const r = await replayFiles([dir], { detections, workers, processors: [] });
      return r.findings.filter((f) => f.detection === 'policy-changed');
    };
    const first0 = await run('sibling-first', 0);
    const last0 = await run('sibling-last', 0);
    expect(JSON.stringify(first0)).not.toBe(JSON.stringify(last0));
    expect(await run('sibling-first', 2)).toEqual(first0);
    expect(await run('sibling-last', 2)).toEqual(last0);
  }, 300_000);
});

describe('event codec (worker → main thread)', () => {
  it('decodes exactly the compact events it encoded, every sample and the Invictus set', async () => {
    const paths = [EVENTS_DIR, ...(hasExternal('invictus') ? [join(EXTERNAL_DIR, 'invictus')] : [])];
    const events: TrailEvent[] = [];
    for await (const r of readPaths(paths)) {
      if (r.kind !== 'event') continue;
      const n = normalize(r.value);
      if (n.ok) events.push(compactEvent(n.event));
    }
    expect(events.length).toBeGreaterThan(200);
    expect(decodeEvents(encodeEvents(events))).toEqual(events);
    // The eventID hash travels with the event (the stateful stage's windows do not hash the id again) and is idHash's.
    // (External findings are not CloudTrail records: normalize gives them none.)
    const decoded = decodeEvents(encodeEvents(events));
    expect(decoded.map((e) => e.idHash)).toEqual(events.map((e) => e.idHash));
    const hashed = decoded.filter((e) => e.idHash !== undefined);
    expect(hashed.length).toBeGreaterThan(200);
    expect(hashed.every((e) => e.idHash === idHash(e.id))).toBe(true);
    // Decoded events have their keys in another order than normalize's (the encoder's fast key check does not apply): the same again.
    expect(decodeEvents(encodeEvents(decodeEvents(encodeEvents(events))))).toEqual(events);
  });

  it('carries an unknown key that sits between known keys in their usual order', () => {
    const n = normalize(readJson(join(EVENTS_DIR, 'policy-changed', 'positive-update-trust-foreign.json')));
    if (!n.ok) throw new Error('sample');
    const e = compactEvent(n.event);
    // Nothing else sends this event down the general path (no response kept, no odd type).
    expect([e.responseElements, e.additionalEventData]).toEqual([null, null]);
    // Rebuilt with one extra key after `region`, every other key in the order normalize writes them.
    const mixed = Object.fromEntries(Object.entries(e).flatMap(([k, v]) => (k === 'region' ? [[k, v], ['accountAlias', 'prod']] : [[k, v]]))) as unknown as TrailEvent;
    (mixed.principal as unknown as Record<string, unknown>) = Object.fromEntries(Object.entries(e.principal).flatMap(([k, v]) => (k === 'name' ? [[k, v], ['tag', 7]] : [[k, v]])));
    const [back] = decodeEvents(encodeEvents([mixed]));
    expect(back).toEqual(mixed);
    expect((back as unknown as Record<string, unknown>)['accountAlias']).toBe('prod');
  });

  it('carries fields it has no column for, and values of an unexpected type', () => {
    const n = normalize(readJson(join(EVENTS_DIR, 'policy-changed', 'positive-update-trust-foreign.json')));
    if (!n.ok) throw new Error('sample');
    const e = compactEvent(n.event) as TrailEvent & { accountName?: string };
    e.accountName = 'prod';
    (e.principal as unknown as Record<string, unknown>)['org'] = { ou: 'ou-1' };
    e.raw['vpcEndpointId'] = 'vpce-1';
    (e as unknown as Record<string, unknown>)['readOnly'] = 'false';
    const [back] = decodeEvents(encodeEvents([e]));
    expect(back).toEqual(e);
  });

  it('decodes an event without an eventID hash with none, and one of another type as it was', () => {
    const n = normalize(readJson(join(EVENTS_DIR, 'policy-changed', 'positive-update-trust-foreign.json')));
    if (!n.ok) throw new Error('sample');
    const { idHash: _hash, ...rest } = compactEvent(n.event);
    const [back] = decodeEvents(encodeEvents([rest as TrailEvent]));
    expect(back).toEqual(rest);
    expect(back?.idHash).toBeUndefined();
    const odd = { ...rest, idHash: '42' } as unknown as TrailEvent;
    expect(decodeEvents(encodeEvents([odd]))[0]?.idHash).toBe('42');
    const big = { ...rest, idHash: 2 ** 31 } as TrailEvent;
    expect(decodeEvents(encodeEvents([big]))[0]?.idHash).toBe(2 ** 31);
  });
});

describe('worker options', () => {
  it('starts a bundled worker without the options that load tsx, keeping every other option', () => {
    const argv = ['--cpu-prof', '--import', 'tsx', '--max-old-space-size=4096', '--require', '/p/node_modules/tsx/dist/preflight.cjs', '--import=file:///p/node_modules/tsx/dist/loader.mjs', '--loader', 'tsx/esm', '--import', './my-hooks.mjs', '--conditions=tsx'];
    expect(withoutTsx(argv)).toEqual(['--cpu-prof', '--max-old-space-size=4096', '--import', './my-hooks.mjs', '--conditions=tsx']);
  });
});
