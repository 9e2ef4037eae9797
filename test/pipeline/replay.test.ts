import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Detection } from '../../shared/detections/types.ts';
import { readPaths } from '../../shared/input/files.ts';
import { recordsOfText } from '../../shared/input/json.ts';
import type { InputRecord } from '../../shared/input/types.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { analyzeEvents } from '../../shared/pipeline/analyze.ts';
import { replayRecords } from '../../shared/pipeline/replay.ts';
import type { StreamProcessor } from '../../shared/pipeline/types.ts';
import { makeFinding } from '../../shared/detections/finding.ts';

function rec(id: string, time: string, name = 'CreateUser'): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', userName: 'alice' },
    eventTime: time,
    eventSource: 'iam.amazonaws.com',
    eventName: name,
    awsRegion: 'us-east-1',
    eventID: id,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
}

async function* from(values: unknown[]): AsyncGenerator<InputRecord> {
  let i = 0;
  for (const value of values) yield { kind: 'event', value, origin: `mem:${++i}` };
}

/** A detection firing on every CreateUser, and one that always throws. */
const meta = { id: 'test-create-user', title: 't', severity: 'medium' as const, description: 'd', matches: [{ eventSource: ['iam.amazonaws.com'], eventName: ['CreateUser'] }], references: {}, runbook: 'r' };
const fires: Detection = { ...meta, detect: (e: TrailEvent) => (e.name === 'CreateUser' ? [makeFinding(meta, e, { title: `created by ${e.principal.name}` })] : []) };
const throws: Detection = { ...meta, id: 'test-throws', detect: () => { throw new Error('bug'); } };

/** Records what a stateful processor sees, to check ordering and batching. */
class RecordingProcessor implements StreamProcessor {
  readonly name = 'recording';
  readonly batches: string[][] = [];
  flushed = 0;
  async process(events: readonly TrailEvent[]): Promise<Finding[]> {
    this.batches.push(events.map((e) => e.id));
    return [];
  }
  async flush(): Promise<Finding[]> {
    this.flushed++;
    return [makeFinding({ ...meta, id: 'test-stream' }, { ...({} as TrailEvent), id: 'summary', name: 'Summary', source: 'trailwatch', time: '2026-11-20T00:00:00.000Z', account: 'a', region: 'r', principal: { type: 'Unknown', name: 'x' } } as TrailEvent, { title: 'end of stream' })];
  }
}

describe('replayRecords', () => {
  it('feeds processors every event in event-time order, in batches, then flushes once', async () => {
    const p = new RecordingProcessor();
    const inputs = [rec('c', '2026-11-20T10:00:03Z'), rec('a', '2026-11-20T10:00:01Z'), rec('d', '2026-11-20T10:00:04Z'), rec('b', '2026-11-20T10:00:02Z'), rec('e', '2026-11-20T10:00:05Z')];
    const result = await replayRecords(from(inputs), { detections: [fires], processors: [p], batchSize: 2 });
    expect(p.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(p.flushed).toBe(1);
    expect(result.findings.map((f) => f.detection)).toContain('test-stream');
    expect(result.counts.eventsProcessed).toBe(5);
  });

  it('sorts findings by event time whatever the input order', async () => {
    const result = await replayRecords(from([rec('late', '2026-11-20T12:00:00Z'), rec('early', '2026-11-20T08:00:00Z')]), { detections: [fires] });
    expect(result.findings.map((f) => f.eventId)).toEqual(['early', 'late']);
  });

  it('counts a throwing detection as an error, keeps the other detections running, and keeps its finding', async () => {
    const log = createMemoryLog();
    const result = await replayRecords(from([rec('x', '2026-11-20T08:00:00Z')]), { detections: [throws, fires], log });
    // The throw no longer loses the finding: a stand-in says the event needs a person.
    expect(result.findings.map((f) => f.detection).sort()).toEqual(['test-create-user', 'test-throws']);
    const standIn = result.findings.find((f) => f.detection === 'test-throws');
    expect(standIn).toMatchObject({ severity: 'medium', eventId: 'x', details: { detectionError: 'bug' } });
    expect(standIn?.title).toMatch(/failed on this CreateUser event/);
    expect(result.counts.detectionErrors).toBe(1);
    expect(result.counts.findings).toContainEqual({ detection: 'test-throws', severity: 'medium', count: 1 });
    expect(log.lines.some((l) => l.level === 'error' && l.attributes?.['detection'] === 'test-throws')).toBe(true);
  });

  it('a processor that throws is reported and the replay completes', async () => {
    const bad: StreamProcessor = { name: 'bad', process: async () => { throw new Error('state broke'); }, flush: async () => [] };
    const result = await replayRecords(from([rec('x', '2026-11-20T08:00:00Z')]), { detections: [fires], processors: [bad] });
    expect(result.counts.detectionErrors).toBe(1);
    expect(result.findings).toHaveLength(1);
  });

  it('drops exact duplicates once and says so; same eventID with a different event is kept', async () => {
    const result = await replayRecords(from([rec('x', '2026-11-20T08:00:00Z'), rec('x', '2026-11-20T08:00:00Z'), rec('x', '2026-11-20T09:00:00Z')]), { detections: [fires] });
    expect(result.duplicates).toBe(1);
    expect(result.findings).toHaveLength(2);
    expect(result.counts.eventsSkipped).toBe(1);
  });

  it('counts skips by reason and logs only the first few one by one', async () => {
    const log = createMemoryLog();
    const bad = Array.from({ length: 30 }, () => ({ eventID: 'no-time' }));
    const result = await replayRecords(from(bad), { detections: [fires], log, maxLoggedSkips: 5 });
    expect(result.counts.skipReasons).toEqual({ 'missing eventName': 30 });
    expect(log.lines.filter((l) => l.message === 'skipped')).toHaveLength(5);
    expect(log.lines.some((l) => /25 more skip/.test(l.message))).toBe(true);
  });
});

describe('analyzeEvents (the Lambda path)', () => {
  it('applies enrichers and survives one that throws', async () => {
    const log = createMemoryLog();
    const result = await analyzeEvents([{ value: rec('x', '2026-11-20T08:00:00Z') }], {
      detections: [fires],
      enrichers: [
        { name: 'broken', enrich: async () => { throw new Error('no network'); } },
        { name: 'tag', enrich: async (fs) => fs.map((f) => ({ ...f, details: { ...f.details, enriched: true } })) },
      ],
      log,
    });
    expect(result.findings[0]?.details['enriched']).toBe(true);
    expect(log.lines.some((l) => l.attributes?.['enricher'] === 'broken')).toBe(true);
  });
});

describe('input readers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trailwatch-input-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads CloudTrail Records, arrays, single events and JSON Lines from text', () => {
    const kinds = (text: string) => [...recordsOfText(text, 'f')].map((r) => (r.kind === 'event' ? r.origin : `skip:${r.skip.reason}`));
    expect(kinds(JSON.stringify({ Records: [1, 2] }))).toEqual(['f:Records[0]', 'f:Records[1]']);
    expect(kinds(JSON.stringify([1]))).toEqual(['f[0]']);
    expect(kinds('{"a":1}')).toEqual(['f']);
    expect(kinds('{"a":1}\n{"b":2}\n')).toEqual(['f:1', 'f:2']);
    expect(kinds('')).toEqual(['skip:empty file']);
    expect(kinds('{"Records": 5}')).toEqual(['skip:CloudTrail log file whose Records is not an array']);
  });

  it('unwraps a Lambda on-failure destination record (DetectFailureQueue) to the original event', () => {
    const failure = { version: '1.0', timestamp: '2026-11-20T08:00:05Z', requestContext: { requestId: 'r', condition: 'RetriesExhausted', approximateInvokeCount: 3 }, requestPayload: { 'detail-type': 'AWS API Call via CloudTrail', detail: {} }, responseContext: { statusCode: 200, functionError: 'Unhandled' } };
    const [r] = [...recordsOfText(JSON.stringify(failure), 'dlq.json')];
    expect(r).toEqual({ kind: 'event', value: failure.requestPayload, origin: 'dlq.json:requestPayload' });
  });

  it('names the line of a syntax error in a multi-line JSON file', () => {
    const [r] = [...recordsOfText('{\n  "a": 1,\n  "b": ,\n}', 'bad.json')];
    expect(r?.kind === 'skip' && r.skip.origin).toBe('bad.json:3');
  });

  it('streams .jsonl.gz line by line with line numbers', async () => {
    const file = join(dir, 'x.jsonl.gz');
    writeFileSync(file, gzipSync(`${JSON.stringify(rec('a', '2026-11-20T08:00:00Z'))}\nnot json\n`));
    const out: InputRecord[] = [];
    for await (const r of readPaths([file])) out.push(r);
    expect(out.map((r) => (r.kind === 'event' ? r.origin : r.skip.origin))).toEqual([`${file}:1`, `${file}:2`]);
  });

  it('turns a missing path into a skip, not an exception', async () => {
    const out: InputRecord[] = [];
    for await (const r of readPaths([join(dir, 'nope')])) out.push(r);
    expect(out[0]?.kind).toBe('skip');
  });
});
