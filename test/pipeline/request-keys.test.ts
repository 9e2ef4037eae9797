import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { normalize } from '../../shared/model/normalize.ts';
import { createReplayProcessors } from '../../shared/pipeline/processors.ts';
import { replayFiles, type ReplayResult } from '../../shared/pipeline/replay.ts';
import { compactEvent, requestKeysOf } from '../../shared/pipeline/stateless.ts';
import type { StreamProcessor } from '../../shared/pipeline/types.ts';
import { SuggestionProfiler } from '../../shared/tuning/suggest.ts';
import { EVENTS_DIR, EXTERNAL_DIR, hasExternal, readJson } from '../helpers/events.ts';

/** The same processor, without saying what it reads: the stateful stage then keeps every request parameter. */
function undeclared(p: StreamProcessor): StreamProcessor {
  return { name: p.name, process: (events) => p.process(events), flush: () => p.flush(), ...(p.notes ? { notes: () => p.notes?.() ?? [] } : {}), ...(p.detectionContext ? { detectionContext: p.detectionContext } : {}) };
}

const outcome = (r: ReplayResult) => JSON.stringify({ findings: r.findings, counts: r.counts });

describe('events held for the stateful processors keep only the request parameters the processors read', () => {
  it('compactEvent keeps the named keys, and null when none is there', () => {
    const record = readJson(join(EVENTS_DIR, 'policy-changed', 'positive-attach-admin-user.json'));
    const n = normalize(record);
    if (!n.ok) throw new Error(n.skip.reason);
    expect(Object.keys(n.event.requestParameters ?? {}).length).toBeGreaterThan(1);
    const all = structuredClone(n.event.requestParameters);
    const kept = compactEvent(structuredClone(n.event), ['policyArn', 'nothing-like-this']).requestParameters;
    expect(kept).toEqual({ policyArn: (all as Record<string, unknown>)['policyArn'] });
    expect(compactEvent(structuredClone(n.event), ['nothing-like-this']).requestParameters).toBeNull();
    expect(compactEvent(structuredClone(n.event)).requestParameters).toEqual(all);
  });

  it('the keys are the union of what every processor says; all of them when one does not say', async () => {
    const processors = await createReplayProcessors({});
    expect(requestKeysOf(processors)).toEqual(['principalArn', 'providerId', 'roleArn', 'serialNumber', 'userName']);
    expect(requestKeysOf([...processors, new SuggestionProfiler()])).toEqual(['externalId', 'principalArn', 'providerId', 'roleArn', 'serialNumber', 'userName']);
    expect(requestKeysOf([...processors, undeclared(processors[0] as StreamProcessor)])).toBeUndefined();
    expect(requestKeysOf([])).toBeUndefined();
  });

  it('gives the findings and counts of a replay that keeps every request parameter (samples, traffic, Invictus; one thread and two workers)', async () => {
    const paths = [EVENTS_DIR, ...(hasExternal('invictus') ? [join(EXTERNAL_DIR, 'invictus')] : [])];
    for (const workers of [0, 2]) {
      const declared = await replayFiles(paths, { detections, workers, processors: await createReplayProcessors({}) });
      const full = await replayFiles(paths, { detections, workers, processors: (await createReplayProcessors({})).map(undeclared) });
      expect(declared.findings.length).toBeGreaterThan(150);
      expect(declared.findings.some((f) => f.detection === 'unusual-role-assumption' || f.detection.startsWith('new-'))).toBe(true);
      expect(outcome(declared), `workers ${workers}`).toBe(outcome(full));
    }
  });
});
