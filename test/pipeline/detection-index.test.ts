import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFinding } from '../../shared/detections/finding.ts';
import { detections } from '../../shared/detections/index.ts';
import type { Detection, DetectionContext, TrailEvent } from '../../shared/detections/types.ts';
import { readPaths } from '../../shared/input/files.ts';
import { normalize } from '../../shared/model/normalize.ts';
import { createDetectionIndex } from '../../shared/pipeline/detection-index.ts';
import { isWildcardDetection, namedPairIndex } from '../../shared/pipeline/event-rules.ts';
import { detectOne } from '../../shared/pipeline/run-detections.ts';
import { EVENTS_DIR, EXTERNAL_DIR, hasExternal, sampleTuning } from '../helpers/events.ts';

async function eventsOf(paths: string[]): Promise<TrailEvent[]> {
  const out: TrailEvent[] = [];
  for await (const r of readPaths(paths)) {
    if (r.kind !== 'event') continue;
    const n = normalize(r.value);
    if (n.ok) out.push(n.event);
  }
  return out;
}

/** Findings of every detection vs the indexed ones, event by event (a context with a learned organization, as replay has). */
function compare(events: TrailEvent[]): { all: number; indexed: number; runsAll: number; runsIndexed: number } {
  const index = createDetectionIndex(detections);
  // With the example approvedRegions too, so unused-region-activity judges every event.
  const context: DetectionContext = { organization: { accounts: new Set(['111122223333']) }, ...sampleTuning() };
  let all = 0;
  let indexed = 0;
  let runsIndexed = 0;
  for (const e of events) {
    const everyDetection = detectOne(e, detections, context, () => {});
    const chosen = index.forEvent(e);
    runsIndexed += chosen.length;
    const viaIndex = detectOne(e, chosen, context, () => {});
    expect(JSON.stringify(viaIndex), `${e.source} ${e.name} ${e.id}`).toBe(JSON.stringify(everyDetection));
    all += everyDetection.length;
    indexed += viaIndex.length;
  }
  return { all, indexed, runsAll: events.length * detections.length, runsIndexed };
}

describe('detection index (run only the detections an event can match)', () => {
  it('gives exactly the findings of every detection on every sample event', async () => {
    const events = await eventsOf([EVENTS_DIR]);
    expect(events.length).toBeGreaterThan(150);
    const r = compare(events);
    expect(r.all).toBeGreaterThan(100);
    expect(r.indexed).toBe(r.all);
    // And it really narrows: far fewer detection calls than registry × events.
    expect(r.runsIndexed).toBeLessThan(r.runsAll / 5);
  });

  it.skipIf(!hasExternal('invictus'))('gives exactly the findings of every detection on the Invictus log set', async () => {
    const events = await eventsOf([join(EXTERNAL_DIR, 'invictus')]);
    expect(events.length).toBe(2900);
    const r = compare(events);
    expect(r.all).toBeGreaterThan(100);
    expect(r.runsIndexed).toBeLessThan(r.runsAll / 5);
  });

  it.skipIf(!hasExternal('stratus'))('gives exactly the findings of every detection on the Stratus detonation logs', async () => {
    const dir = join(EXTERNAL_DIR, 'stratus');
    const events = await eventsOf(readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)));
    expect(events.length).toBeGreaterThan(250);
    expect(compare(events).all).toBeGreaterThan(20);
  });

  it('is derived from the EventBridge rule definitions: every named pair, the wildcard patterns, and an always-run list only for what cannot be keyed', () => {
    const index = createDetectionIndex(detections);
    const pairs = namedPairIndex(detections);
    for (const [source, names] of pairs) {
      for (const [name, ids] of names) {
        const chosen = index.forEvent({ source, name, principal: { type: 'IAMUser', name: 'x' } } as TrailEvent).map((d) => d.id);
        for (const id of ids) expect(chosen, `${source} ${name}`).toContain(id);
      }
    }
    // The user-agent wildcard and the approved-region check (any API, any identity: it decides by
    // region and tuning) cannot be keyed on the event's API or identity: they run on every event.
    expect(index.alwaysRun.map((d) => d.id)).toEqual(['offensive-tool-user-agent', 'unused-region-activity']);
    expect(index.keyedBy['root-activity']).toContain('userIdentity.type Root');
    expect(index.keyedBy['instance-credentials-elsewhere']).toEqual(['userIdentity.type AssumedRole']);
    // Every wildcard detection is keyed or always runs; none is forgotten.
    for (const d of detections.filter(isWildcardDetection)) expect(index.keyedBy[d.id], d.id).toBeDefined();
    // An ordinary read by an IAM user reaches only the always-run list.
    const read = index.forEvent({ source: 'ec2.amazonaws.com', name: 'DescribeInstances', principal: { type: 'IAMUser', name: 'x' } } as TrailEvent);
    expect(read.map((d) => d.id)).toEqual(['offensive-tool-user-agent', 'unused-region-activity']);
    // Root: root-activity joins, whatever the API.
    const root = index.forEvent({ source: 'ec2.amazonaws.com', name: 'DescribeInstances', principal: { type: 'Root', name: 'root' } } as TrailEvent);
    expect(root.map((d) => d.id).sort()).toEqual(['offensive-tool-user-agent', 'root-activity', 'unused-region-activity']);
  });

  it('does not run a detection on events outside its match (a detection that would fire on anything)', () => {
    const meta = { id: 'test-greedy', title: 't', severity: 'low' as const, description: 'd', matches: [{ eventSource: ['iam.amazonaws.com'], eventName: ['CreateUser'] }], references: {}, runbook: 'r' };
    const greedy: Detection = { ...meta, detect: (e) => [makeFinding(meta, e, { title: e.name })] };
    const index = createDetectionIndex([greedy]);
    const principal = { type: 'IAMUser', name: 'x' };
    expect(index.forEvent({ source: 'iam.amazonaws.com', name: 'CreateUser', principal } as TrailEvent)).toEqual([greedy]);
    expect(index.forEvent({ source: 'iam.amazonaws.com', name: 'DeleteUser', principal } as TrailEvent)).toEqual([]);
    expect(index.forEvent({ source: 'sts.amazonaws.com', name: 'CreateUser', principal } as TrailEvent)).toEqual([]);
  });
});
