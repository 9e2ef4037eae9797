import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { resampleCorpus } from '../../scripts/bench-replay.ts';
import { detections } from '../../shared/detections/index.ts';
import type { Finding } from '../../shared/model/types.ts';
import { createReplayProcessors } from '../../shared/pipeline/processors.ts';
import { replayFiles } from '../../shared/pipeline/replay.ts';
import { EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';

const INVICTUS = join(EXTERNAL_DIR, 'invictus');
const work = mkdtempSync(join(tmpdir(), 'trailwatch-resample-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function records(dir: string): Array<Record<string, unknown>> {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => (JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString('utf8')) as { Records: Array<Record<string, unknown>> }).Records);
}

/** A finding without what the resampling changes on purpose (the eventID). */
const shape = (f: Finding) => JSON.stringify({ ...f, eventId: undefined, details: undefined, title: f.title.replace(f.eventId, '') });

describe.skipIf(!hasExternal('invictus'))("the bench's real-shapes corpus (Invictus resampled)", () => {
  it('repeats the real records with new eventIDs and times moved later per repetition, nothing else changed', () => {
    const dir = join(work, 'three');
    mkdirSync(dir);
    const made = resampleCorpus(INVICTUS, dir, 7_000);
    expect(made).toMatchObject({ files: 7, sourceRecords: 2_900 });
    const out = records(dir);
    expect(out).toHaveLength(7_000);
    expect(new Set(out.map((r) => r['eventID'])).size).toBe(7_000 - duplicateIdsIn(out.slice(0, 2_900)) * 3);
    const times = out.map((r) => Date.parse(r['eventTime'] as string));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
    // The second repetition is the first, later by one span, with other ids; every other field as it was.
    const first = out[0] as Record<string, unknown>;
    const again = out[2_900] as Record<string, unknown>;
    expect(again['eventID']).not.toBe(first['eventID']);
    expect((again['eventID'] as string).length).toBe((first['eventID'] as string).length);
    expect(Date.parse(again['eventTime'] as string)).toBeGreaterThan(Date.parse(first['eventTime'] as string));
    expect({ ...again, eventID: 0, eventTime: 0 }).toEqual({ ...first, eventID: 0, eventTime: 0 });
  });

  it('one repetition replays to the findings of Invictus itself (same detections, principals, times)', async () => {
    const dir = join(work, 'one');
    mkdirSync(dir);
    resampleCorpus(INVICTUS, dir, 2_900);
    const replay = async (path: string) => (await replayFiles([path], { detections, processors: await createReplayProcessors({}) })).findings.map(shape).sort();
    const [original, resampled] = await Promise.all([replay(INVICTUS), replay(dir)]);
    expect(original.length).toBeGreaterThan(100);
    expect(resampled).toEqual(original);
  });
});

/** Records of one repetition whose eventID an earlier record already had (CloudTrail redelivers). */
function duplicateIdsIn(rs: Array<Record<string, unknown>>): number {
  return rs.length - new Set(rs.map((r) => r['eventID'])).size;
}
