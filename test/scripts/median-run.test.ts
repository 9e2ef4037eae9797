import { describe, expect, it } from 'vitest';
import { medianRun } from '../../scripts/bench-replay.ts';

describe('bench: the median run of interleaved replay measurements', () => {
  it('is the run of median wall time, with its own other figures (the faster middle one of an even count)', () => {
    const run = (ms: number, cpuMs: number) => ({ ms, cpuMs });
    expect(medianRun([run(1300, 1700), run(1100, 1500), run(1900, 2000)])).toEqual(run(1300, 1700));
    expect(medianRun([run(1300, 1700), run(1100, 1500), run(1900, 2000), run(1200, 1650)])).toEqual(run(1200, 1650));
    expect(medianRun([run(5, 6)])).toEqual(run(5, 6));
    expect(() => medianRun([])).toThrow(/no runs/);
  });
});
