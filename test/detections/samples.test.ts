import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { EVENTS_DIR, sampleEvent, sampleNames, sampleTuning } from '../helpers/events.ts';

// Convention for events/<detection-id>/: `positive-*.json` must make that detection fire,
// `negative-*.json` (lookalikes) must not. Every detection has both. A detection that needs tuning
// (`needsTuning`) is judged with the example tuning its samples are written against, and is quiet
// on every one of them without it (zero configuration).
const folders = new Set(readdirSync(EVENTS_DIR).filter((f) => statSync(join(EVENTS_DIR, f)).isDirectory()));

describe('sample events per detection', () => {
  for (const d of detections) {
    describe(d.id, () => {
      it('has positive and negative samples in events/', () => {
        expect(folders.has(d.id)).toBe(true);
        expect(sampleNames(d.id, 'positive-').length).toBeGreaterThan(0);
        expect(sampleNames(d.id, 'negative-').length).toBeGreaterThan(0);
      });
      for (const name of folders.has(d.id) ? sampleNames(d.id) : []) {
        const positive = name.startsWith('positive-');
        it(`${positive ? 'fires' : 'stays quiet'} on ${name}`, () => {
          const context = d.needsTuning ? sampleTuning() : undefined;
          const findings = d.detect(sampleEvent(d.id, name), context).filter((f) => f.detection === d.id);
          if (positive) expect(findings.length).toBeGreaterThan(0);
          else if (name.startsWith('negative-')) expect(findings).toEqual([]);
          if (d.needsTuning) expect(d.detect(sampleEvent(d.id, name))).toEqual([]);
        });
      }
    });
  }
});
