import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { createReplayProcessors } from '../../shared/pipeline/processors.ts';
import { replayRecords } from '../../shared/pipeline/replay.ts';
import { outsideRatesScope, RATES_RULE_PATTERN } from '../../shared/rates/scope.ts';
import { formatSummary } from '../../shared/sinks/console.ts';
import type { InputRecord } from '../../shared/input/types.ts';
import { EVENTS_DIR } from '../helpers/events.ts';
import { packagedTemplate } from '../helpers/packaged.ts';
import { event, record, T0 } from './records.ts';
import { normalize } from '../../shared/model/normalize.ts';

/** The generated traffic sample (a recon burst and an AccessDenied burst of a stolen key). */
function traffic(mutate: (r: Record<string, unknown>) => Record<string, unknown> = (r) => r): Record<string, unknown>[] {
  return readFileSync(join(EVENTS_DIR, 'traffic', 'traffic.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => mutate(JSON.parse(l) as Record<string, unknown>));
}

async function replay(records: Record<string, unknown>[]) {
  async function* inputs(): AsyncIterable<InputRecord> {
    for (const [i, value] of records.entries()) yield { kind: 'event', value, origin: `traffic.jsonl:${i + 1}` };
  }
  return replayRecords(inputs(), { detections, processors: await createReplayProcessors({ rates: true }) });
}

describe('replay rate analysis sees what the deployed rates rule sees', () => {
  it('the deployed RatesRule pattern is the one replay models', () => {
    const template = packagedTemplate<{ Resources: Record<string, { Properties: Record<string, unknown> }> }>();
    expect(template.Resources['RatesRule']!.Properties['EventPattern']).toEqual(RATES_RULE_PATTERN);
    expect(template.Resources['RatesRule']!.Properties['State']).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
  }, 300_000);

  it('classifies management calls, data events (new and old records) and service events', () => {
    expect(outsideRatesScope(event({ time: T0 }))).toBeUndefined();
    const data = normalize({ ...record({ time: T0, eventSource: 's3.amazonaws.com', eventName: 'GetObject' }), eventCategory: 'Data', managementEvent: false });
    const legacyData = normalize({ ...record({ time: T0, eventSource: 's3.amazonaws.com', eventName: 'GetObject' }), eventCategory: undefined, managementEvent: false });
    const service = normalize({ ...record({ time: T0 }), eventType: 'AwsServiceEvent', userIdentity: { type: 'AWSService', invokedBy: 'config.amazonaws.com' } });
    expect(data.ok && outsideRatesScope(data.event)).toBe('data event');
    expect(legacyData.ok && outsideRatesScope(legacyData.event)).toBe('data event');
    expect(service.ok && outsideRatesScope(service.event)).toBe('not an API call or sign-in');
  });

  it('reports the traffic sample bursts as management events', async () => {
    const result = await replay(traffic());
    expect(result.findings.filter((f) => f.detection.startsWith('api-')).map((f) => f.detection)).toEqual(['api-rate-anomaly', 'api-error-rate-anomaly']);
    expect(result.counts.notes).toBeUndefined();
  });

  it('does not count the same bursts as data events (the deployed detector never receives those), and says so', async () => {
    const result = await replay(traffic((r) => ({ ...r, eventCategory: 'Data', managementEvent: false })));
    expect(result.findings.filter((f) => f.detection.startsWith('api-'))).toEqual([]);
    const n = traffic().length;
    expect(result.counts.notes).toEqual([`API-rate analysis left out ${n} data event(s): the deployed rates rule receives management API calls and sign-ins only`]);
    expect(formatSummary(result.counts, false)).toContain(`note: API-rate analysis left out ${n} data event(s)`);
  });
});
