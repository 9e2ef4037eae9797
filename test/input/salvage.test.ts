import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readPaths } from '../../shared/input/files.ts';
import { recordsOfText } from '../../shared/input/json.ts';
import { CORRUPT } from '../../shared/input/salvage.ts';
import type { InputRecord } from '../../shared/input/types.ts';
import { detections } from '../../shared/detections/index.ts';
import { replayRecords } from '../../shared/pipeline/replay.ts';
import { hasExternal, EXTERNAL_DIR } from '../helpers/events.ts';
import { sample } from '../helpers/hostile.ts';
import { readdirSync, readFileSync } from 'node:fs';

/** 20 distinct CloudTrail records (varied like real ones, so gzip cannot fold them into one). */
function records(n = 20): Array<Record<string, unknown>> {
  const base = sample('root-signin', 'positive-success-no-mfa').detail;
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    eventID: `rec-${i}-${(i * 7919).toString(36)}`,
    sourceIPAddress: `198.51.100.${i + 1}`,
    userAgent: `Mozilla/5.0 build ${Math.sin(i + 1).toString(36)} ${'abcdefghij'.repeat(i % 5)}`,
  }));
}

function logFile(recs: Array<Record<string, unknown>>): string {
  return JSON.stringify({ Records: recs });
}

const eventIds = (out: InputRecord[]): string[] => out.filter((r) => r.kind === 'event').map((r) => (r as { value: { eventID: string } }).value.eventID);
const skips = (out: InputRecord[]) => out.filter((r): r is Extract<InputRecord, { kind: 'skip' }> => r.kind === 'skip');

describe('a CloudTrail log file with one corrupt record keeps every other record', () => {
  const recs = records();
  const text = logFile(recs);
  const all = recs.map((r) => r['eventID'] as string);
  const without = (i: number) => all.filter((_, j) => j !== i);

  const damages: Array<[string, (t: string) => string, number]> = [
    ['a value without its opening quote', (t) => t.replace('"eventName":"ConsoleLogin"', '"eventName":ConsoleLogin"'), 0],
    ['a string whose closing quote is lost (the quoting shifts for the rest of the file)', (t) => t.replace(`"${all[7]}"`, `"${all[7]}`), 7],
    ['a bit flip turning the brace that opens a record into a bracket', (t) => { const at = t.indexOf(`"${all[12]}"`); const open = t.lastIndexOf('{"eventVersion"', at); return `${t.slice(0, open)}[${t.slice(open + 1)}`; }, 12],
    ['bytes cut out of the middle of a record', (t) => { const at = t.indexOf(`"${all[19]}"`); return t.slice(0, at - 200) + t.slice(at - 50); }, 19],
    ['a NUL byte in a record', (t) => t.replace(`"${all[3]}"`, `"${all[3]}"\u0000`), 3],
  ];
  for (const [what, damage, lost] of damages) {
    it(`${what}: 19 records read, 1 skip naming file:line:column`, () => {
      const damaged = damage(text);
      expect(() => JSON.parse(damaged)).toThrow();
      const out = [...recordsOfText(damaged, 'trail.json')];
      // A cut can leave the damaged record's first half as valid JSON without an eventID: the
      // normaliser then skips it too ("missing eventID"); every other record is intact.
      expect(eventIds(out).filter((id) => id !== undefined)).toEqual(without(lost));
      const s = skips(out);
      expect(s).toHaveLength(1);
      expect(s[0]?.skip.reason).toBe(CORRUPT);
      expect(s[0]?.skip.origin).toMatch(/^trail\.json:1:\d+$/);
      expect(s[0]?.unreadable).toBe('record');
    });
  }

  it('keeps the usual Records[i] origin for the records it reads', () => {
    const out = [...recordsOfText(damages[0]![1](text), 'trail.json')].filter((r) => r.kind === 'event');
    expect(out[0]).toMatchObject({ origin: 'trail.json:Records[1]' });
  });

  it('a log file cut off mid-record keeps the whole records before the cut', () => {
    const cut = text.slice(0, text.indexOf(`"${all[15]}"`));
    const out = [...recordsOfText(cut, 'cut.json')];
    expect(eventIds(out)).toEqual(all.slice(0, 15));
    expect(skips(out).map((s) => [s.skip.reason, s.unreadable])).toEqual([['truncated record: the file ends inside it', 'record']]);
  });

  it('an array of events (Stratus, exports) is salvaged the same way', () => {
    const array = JSON.stringify(recs).replace(`"${all[4]}"`, `"${all[4]}`);
    const out = [...recordsOfText(array, 'a.json')];
    expect(eventIds(out)).toEqual(without(4));
  });

  it('text that is neither a log file nor an array is still one malformed-file skip', () => {
    const out = [...recordsOfText('{"eventID": "x", oops}', 'x.json')];
    expect(skips(out).map((s) => s.unreadable)).toEqual(['file']);
    expect(skips(out)[0]?.skip.reason).toMatch(/^malformed JSON file/);
  });
});

describe('files the readers cannot read completely are marked unreadable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trailwatch-salvage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = async (paths: string[]) => {
    const out: InputRecord[] = [];
    for await (const r of readPaths(paths)) out.push(r);
    return out;
  };

  it('a truncated .gz gives the records decompressed before the cut, then names the truncation', async () => {
    const recs = records(200);
    const gz = gzipSync(logFile(recs));
    const file = join(dir, 'trail.json.gz');
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const out = await read([file]);
    const ids = eventIds(out);
    expect(ids.length).toBeGreaterThan(50);
    expect(ids).toEqual(recs.slice(0, ids.length).map((r) => r['eventID']));
    expect(skips(out).map((s) => s.unreadable)).toEqual(['record', 'file']);
    expect(skips(out).at(-1)?.skip.reason).toMatch(/^truncated gzip/);
  });

  it('a corrupt gzip, an empty file and a folder with no event files are each one unreadable input', async () => {
    writeFileSync(join(dir, 'corrupt.json.gz'), 'not gzip at all');
    writeFileSync(join(dir, 'empty.json'), '');
    const docs = join(dir, 'docs');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'README.md'), '# notes');
    writeFileSync(join(docs, 'trail.txt'), '{}');
    const out = await read([join(dir, 'corrupt.json.gz'), join(dir, 'empty.json'), docs]);
    expect(skips(out).map((s) => [s.skip.reason.split(':')[0], s.unreadable])).toEqual([
      ['corrupt gzip', 'file'],
      ['empty file', 'file'],
      ['folder holds no event files (.json, .jsonl, .ndjson, optionally .gz); 2 other file(s) ignored', 'file'],
    ]);
  });

  it('replay counts a lost record as one skipped record and lists every unreadable input', async () => {
    const recs = records();
    const file = join(dir, 'one-corrupt.json');
    writeFileSync(file, logFile(recs).replace('"eventName":"ConsoleLogin"', '"eventName":ConsoleLogin"'));
    const result = await replayRecords(readPaths([file, join(dir, 'corrupt.json.gz')]), { detections });
    expect(result.counts.eventsProcessed).toBe(19);
    expect(result.counts.eventsSkipped).toBe(1);
    expect(result.findings.filter((f) => f.detection === 'root-signin')).toHaveLength(19);
    expect(result.counts.unreadable?.map((u) => u.scope)).toEqual(['record', 'file']);
  });
});

describe.skipIf(!hasExternal('invictus'))('salvage on the real Invictus log files', () => {
  it('every record of a real log file with one corrupted record but that one is kept', () => {
    const dir = join(EXTERNAL_DIR, 'invictus');
    const name = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()[0] as string;
    const text = readFileSync(join(dir, name), 'utf8');
    const parsed = JSON.parse(text) as { Records: Array<{ eventID: string }> };
    if (parsed.Records.length < 3) return;
    const victim = parsed.Records[1]?.eventID as string;
    const damaged = text.replace(`"${victim}"`, `"${victim}`);
    const ids = eventIds([...recordsOfText(damaged, name)]);
    expect(ids).toEqual(parsed.Records.map((r) => r.eventID).filter((id) => id !== victim));
  });
});
