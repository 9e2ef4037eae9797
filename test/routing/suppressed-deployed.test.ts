import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createDetectHandler } from '../../functions/detect.ts';
import { loadConfig } from '../../shared/config.ts';
import { detections } from '../../shared/detections/index.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { createDeployedRouter } from '../../shared/routing/deployed.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';
import { convertTuning } from '../../scripts/tuning-json.ts';

// Issue 10: "Suppressed is never gone: it is counted in metrics and still put on the findings bus,
// marked" — and an expired suppression alerts that it expired. On the deployed detect path.

const dir = mkdtempSync(join(tmpdir(), 'tw-suppressed-'));
const tuningFile = join(dir, 'trailwatch.config.yaml');
writeFileSync(
  tuningFile,
  [
    'version: 1',
    'suppressions:',
    '  - id: ops-key-maintenance',
    '    detection: kms-key-deletion',
    "    principal: 'arn:aws:iam::111122223333:role/OpsAdmin'",
    '    eventName: DisableKey',
    '    reason: the ops team rotates keys on Fridays',
    '    owner: ops@example.com',
    '    expires: 2027-06-30',
    '  - id: old-key-teardown',
    '    detection: kms-key-deletion',
    '    eventName: ScheduleKeyDeletion',
    '    reason: a migration that ended',
    '    owner: ops@example.com',
    '    expires: 2026-01-31',
    '',
  ].join('\n'),
);
// As packaged: the YAML validated and converted to the JSON the Lambdas read (scripts/tuning-json.ts).
const deployedTuning = join(dir, 'trailwatch.config.json');
convertTuning(tuningFile, deployedTuning);

const sns = mockClient(SNSClient);
const bus = mockClient(EventBridgeClient);
const cloudwatch = mockClient(CloudWatchClient);

beforeEach(() => {
  for (const m of [sns, bus, cloudwatch]) m.reset();
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: e.Id })), Failed: [] }));
  bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
  cloudwatch.on(PutMetricDataCommand).resolves({});
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deployed detect: suppressions are counted and marked, never dropped', () => {
  it('puts a suppressed finding on the bus marked and routed record, counts it in FindingsSuppressed, and alerts once when a suppression has expired', async () => {
    const log = createMemoryLog();
    const handler = createDetectHandler({
      config: loadConfig({ TRAILWATCH_STAGE: 'prod', TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trailwatch-prod-alerts', TRAILWATCH_FINDINGS_BUS_NAME: 'trailwatch-prod-findings' }),
      log,
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      enrichers: [await createDeployedRouter({ TRAILWATCH_TUNING_FILE: deployedTuning }, log, undefined, detections)],
    });
    await handler(readJson(join(EVENTS_DIR, 'kms-key-deletion', 'positive-disable-key.json')));
    await handler(readJson(join(EVENTS_DIR, 'kms-key-deletion', 'positive-schedule-deletion.json')));
    const onBus = bus.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(String(e.Detail)) as Finding));

    const disabled = onBus.find((f) => f.detection === 'kms-key-deletion' && f.eventName === 'DisableKey');
    expect(disabled?.suppressed).toMatchObject({ id: 'ops-key-maintenance', owner: 'ops@example.com' });
    expect(disabled?.route).toBe('record');
    expect(disabled?.routeReason).toContain('suppressed by ops-key-maintenance');
    expect(disabled?.details['bounded']).toBeUndefined();

    // The expired one no longer applies: the finding routes on its merits, and one alert says it expired.
    const scheduled = onBus.find((f) => f.detection === 'kms-key-deletion' && f.eventName === 'ScheduleKeyDeletion');
    expect(scheduled?.suppressed).toBeUndefined();
    expect(scheduled?.route).not.toBe('record');
    expect(scheduled?.routeReason).toContain('suppression old-key-teardown expired');
    expect(onBus.filter((f) => f.detection === 'suppression-expired').map((f) => f.details)).toEqual([expect.objectContaining({})]);
    expect(JSON.stringify(onBus.find((f) => f.detection === 'suppression-expired'))).toContain('old-key-teardown');

    const datums = cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
    expect(datums.filter((d) => d.MetricName === 'FindingsSuppressed').reduce((n, d) => n + (d.Value ?? 0), 0)).toBe(1);
    expect(datums.some((d) => d.MetricName === 'FindingsRouted' && d.Dimensions?.[0]?.Value === 'record')).toBe(true);
  });
});
