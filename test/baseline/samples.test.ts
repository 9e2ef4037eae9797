import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASELINE_BEHAVIOURS } from '../../shared/baseline/behaviours.ts';
import { BaselineProcessor } from '../../shared/baseline/processor.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { EVENTS_DIR } from '../helpers/events.ts';

// events/<behaviour>/: each file is a sequence (JSON Lines of EventBridge envelopes), history first.
// `positive-*`: the last event makes exactly one finding of that behaviour; `negative-*` lookalikes make none.
function sequence(file: string): TrailEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const n = normalize(JSON.parse(l));
      if (!n.ok) throw new Error(`${file}: ${n.skip.reason}`);
      return n.event;
    });
}

describe('baseline behaviour samples', () => {
  for (const b of BASELINE_BEHAVIOURS) {
    const dir = join(EVENTS_DIR, b.id);
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
    it(`${b.id} has positive and negative sequences`, () => {
      expect(files.some((f) => f.startsWith('positive-'))).toBe(true);
      expect(files.some((f) => f.startsWith('negative-'))).toBe(true);
    });
    for (const f of files) {
      it(`${b.id}: ${f.startsWith('positive-') ? 'fires on the last event of' : 'stays quiet on'} ${f}`, async () => {
        const events = sequence(join(dir, f));
        const p = new BaselineProcessor();
        const findings = [];
        for (const e of events) findings.push(...(await p.process([e])));
        if (f.startsWith('positive-')) {
          expect(findings.map((x) => [x.detection, x.eventId])).toEqual([[b.id, events.at(-1)?.id]]);
        } else expect(findings).toEqual([]);
      });
    }
  }
});

describe('baseline behaviours in trailwatch replay (the processor pass gets compacted events)', () => {
  it('replaying the sample folders reports each positive sequence once, as the processor alone does', async () => {
    const { PassThrough } = await import('node:stream');
    const { run } = await import('../../shared/cli/replay.ts');
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const err = new PassThrough();
    err.resume();
    const code = await run([...BASELINE_BEHAVIOURS.map((b) => join(EVENTS_DIR, b.id)), '--format', 'json', '-q'], { stdout: out, stderr: err, env: {} });
    expect(code).toBe(0);
    const found = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (JSON.parse(l) as { detection: string }).detection)
      .filter((d) => BASELINE_BEHAVIOURS.some((b) => b.id === d))
      .sort();
    expect(found).toEqual(['new-api-for-principal', 'signin-from-new-location', 'unusual-role-assumption']);
  }, 60_000);
});
