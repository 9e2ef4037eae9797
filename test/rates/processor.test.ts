import { describe, expect, it } from 'vitest';
import { createReplayProcessors } from '../../shared/pipeline/processors.ts';
import { RateProcessor } from '../../shared/rates/processor.ts';
import { steady } from './records.ts';

describe('rate StreamProcessor for local replay', () => {
  it('is registered for replay and can be turned off', async () => {
    expect((await createReplayProcessors()).map((p) => p.name)).toContain('api-rates');
    expect((await createReplayProcessors({ rates: false })).map((p) => p.name)).not.toContain('api-rates');
  });

  it('reports a burst in historical data fed in event-time batches, then flushes cleanly', async () => {
    const p = new RateProcessor();
    const events = [...steady(0, 180, 4), ...steady(180, 182, 150)];
    const findings = [];
    for (let i = 0; i < events.length; i += 500) findings.push(...(await p.process(events.slice(i, i + 500))));
    findings.push(...(await p.flush()));
    expect(findings.map((f) => f.detection)).toEqual(['api-rate-anomaly']);
    expect(p.stats.counted).toBe(events.length);
  });
});
