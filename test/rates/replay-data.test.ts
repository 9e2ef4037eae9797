import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize } from '../../shared/model/normalize.ts';
import type { Finding, TrailEvent } from '../../shared/model/types.ts';
import { RateProcessor } from '../../shared/rates/processor.ts';
import { EVENTS_DIR, EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';

function toEvents(records: unknown[]): TrailEvent[] {
  const events: TrailEvent[] = [];
  for (const r of records) {
    const n = normalize(r);
    if (n.ok) events.push(n.event);
  }
  return events.sort((a, b) => a.timeMs - b.timeMs);
}

async function replay(events: TrailEvent[], batch = 400): Promise<Finding[]> {
  const p = new RateProcessor();
  const findings: Finding[] = [];
  for (let i = 0; i < events.length; i += batch) findings.push(...(await p.process(events.slice(i, i + batch))));
  return [...findings, ...(await p.flush())];
}

describe('replay of events/traffic/traffic.jsonl', () => {
  it('reports the recon burst and the AccessDenied burst of the stolen key, and nothing in the background', async () => {
    const lines = readFileSync(join(EVENTS_DIR, 'traffic', 'traffic.jsonl'), 'utf8').split('\n').filter(Boolean);
    const findings = await replay(toEvents(lines.map((l) => JSON.parse(l) as unknown)));
    expect(findings.map((f) => [f.detection, f.principal.arn, f.sourceIp])).toEqual([
      ['api-rate-anomaly', 'arn:aws:iam::111122223333:user/alice', '185.220.101.45'],
      ['api-error-rate-anomaly', 'arn:aws:iam::111122223333:user/alice', '185.220.101.45'],
    ]);
  });
});

describe.skipIf(!hasExternal('invictus'))('back-test on the Invictus attack-simulation log set', () => {
  it('flags the burst of unauthorized calls (CIS 4.1) and stays within a handful of findings', async () => {
    const dir = join(EXTERNAL_DIR, 'invictus');
    const records: unknown[] = [];
    for (const f of readdirSync(dir, { recursive: true }) as string[]) {
      if (!f.endsWith('.json')) continue;
      const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { Records?: unknown[] };
      records.push(...(doc.Records ?? []));
    }
    const findings = await replay(toEvents(records));
    console.log(`invictus: ${records.length} records -> ${findings.map((f) => `${f.detection} ${f.principal.arn ?? f.principal.name} ${String(f.details['observed'])}/min`).join('; ')}`);
    expect(findings.some((f) => f.detection === 'api-error-rate-anomaly')).toBe(true);
    expect(findings.length).toBeLessThanOrEqual(5);
  });
});
