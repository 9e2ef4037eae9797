import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { isSeverity, type TrailEvent } from '../../shared/model/types.ts';
import { sampleEvent, sampleNames } from '../helpers/events.ts';

// Bad input never crashes a detection: every positive sample, damaged in the ways real records and
// hostile input differ from the documentation, must still give well-formed findings (or none).
const JUNK: unknown[] = [null, 0, -1, '', 'x'.repeat(300), [], [null], {}, { items: 'no' }, true, '%ZZ{not json'];

function damaged(event: TrailEvent): TrailEvent[] {
  const out: TrailEvent[] = [
    { ...event, requestParameters: null },
    { ...event, responseElements: null },
    { ...event, additionalEventData: null },
    { ...event, principal: { type: 'Unknown', name: 'unknown' } },
  ];
  const rp = event.requestParameters ?? {};
  for (const junk of JUNK) {
    out.push({ ...event, requestParameters: Object.fromEntries(Object.keys(rp).map((k) => [k, junk])) });
    out.push({ ...event, responseElements: Object.fromEntries(Object.keys(event.responseElements ?? { x: 1 }).map((k) => [k, junk])) });
  }
  return out;
}

describe('every detection survives damaged input', () => {
  for (const d of detections) {
    it(`${d.id} never throws and emits well-formed findings`, () => {
      for (const name of sampleNames(d.id, 'positive-')) {
        for (const event of damaged(sampleEvent(d.id, name))) {
          const findings = d.detect(event);
          for (const f of findings) {
            expect(isSeverity(f.severity), `${name}: ${f.severity}`).toBe(true);
            expect(f.title.length).toBeGreaterThan(0);
            expect(f.title, `${name}: ${f.title}`).not.toMatch(/undefined|\[object Object\]|NaN/);
            expect(f.detection).toBe(d.id);
            expect(() => JSON.stringify(f)).not.toThrow();
          }
        }
      }
    });
  }
});
