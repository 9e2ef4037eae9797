import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetectHandler } from '../../functions/detect.ts';
import { loadConfig } from '../../shared/config.ts';
import { detections } from '../../shared/detections/index.ts';
import { readPaths } from '../../shared/input/files.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { createPolicyEnricher } from '../../shared/policy/enricher.ts';
import { createEnrichers } from '../../shared/pipeline/enrichers.ts';
import { replayRecords } from '../../shared/pipeline/replay.ts';
import { createDeployedRouter, knownDetectionIds } from '../../shared/routing/deployed.ts';
import { createLocalRouter } from '../../shared/routing/router.ts';
import { loadTuningFile } from '../../shared/tuning/load.ts';
import { EVENTS_DIR, readJson, ROOT } from '../helpers/events.ts';
import { startRateTable } from '../rates/dynalite.ts';
import { convertTuning } from '../../scripts/tuning-json.ts';

/**
 * "Both decide identically": every positive sample, twice (the second copy an hour later with its
 * own eventID, so the novelty model has something to learn), routed once the way the deployed detect
 * Lambda does it (packaged tuning file read through TRAILWATCH_TUNING_FILE, novelty on DynamoDB) and
 * once the way `trailwatch replay --config` does it (the same file, novelty in memory).
 */
const EXAMPLE = join(ROOT, 'docs', 'tuning-example.yaml');

function sampleStream(): Array<Record<string, unknown>> {
  const envelopes: Array<Record<string, unknown>> = [];
  for (const folder of readdirSync(EVENTS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'traffic')) {
    for (const file of readdirSync(join(EVENTS_DIR, folder.name)).filter((f) => f.startsWith('positive-') && f.endsWith('.json')).sort()) {
      const e = readJson(join(EVENTS_DIR, folder.name, file)) as Record<string, unknown>;
      // CloudTrail-shaped samples (service findings such as GuardDuty's have no eventTime to shift).
      if (typeof e['detail'] === 'object' && Number.isFinite(Date.parse(String((e['detail'] as Record<string, unknown>)['eventTime'])))) envelopes.push(e);
    }
  }
  const later = envelopes.map((e) => {
    const copy = structuredClone(e);
    const detail = copy['detail'] as Record<string, unknown>;
    detail['eventID'] = `${String(detail['eventID'])}-again`;
    detail['eventTime'] = new Date(Date.parse(String(detail['eventTime'])) + 3_600_000).toISOString().replace('.000', '');
    return copy;
  });
  // Event-time order, ties in file order: the order a live stream would deliver them.
  return [...envelopes, ...later].map((e, i) => ({ e, i, t: Date.parse(String((e['detail'] as Record<string, unknown>)['eventTime'])) })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.e);
}

const key = (f: Finding): string => `${f.detection} ${f.eventId} ${f.title}`;
const decision = (f: Finding) => ({ route: f.route, routeReason: f.routeReason, suppressed: f.suppressed });

describe('routing: the Lambda path and the replay path decide identically', () => {
  let table: Awaited<ReturnType<typeof startRateTable>>;
  const sns = mockClient(SNSClient);
  const events = mockClient(EventBridgeClient);
  const cloudwatch = mockClient(CloudWatchClient);
  beforeAll(async () => {
    table = await startRateTable('novelty-parity');
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: e.Id })), Failed: [] }));
    events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
    cloudwatch.on(PutMetricDataCommand).resolves({});
  });
  afterAll(async () => {
    sns.restore();
    events.restore();
    cloudwatch.restore();
    await table?.stop();
  });

  it('gives every finding the same route and reason on the samples, with the documented example configuration', async () => {
    const stream = sampleStream();
    const dir = mkdtempSync(join(tmpdir(), 'tw-parity-'));
    writeFileSync(join(dir, 'stream.json'), JSON.stringify(stream));

    const tuning = loadTuningFile(EXAMPLE, { knownDetections: knownDetectionIds(detections) }).config;
    // The example's approvedRegions reach the detections on both paths (replay --config, the packaged file at cold start).
    const approvedRegions = tuning.approvedRegions;
    expect(approvedRegions).toBeDefined();
    const replayed = await replayRecords(readPaths([join(dir, 'stream.json')]), {
      detections,
      ...(approvedRegions ? { context: { approvedRegions } } : {}),
      enrichers: [createPolicyEnricher({ mode: 'local' }), await createLocalRouter({ detections, tuning })],
    });

    const log = createMemoryLog();
    // As packaged: the YAML validated and converted to the JSON the Lambdas read.
    const deployedJson = join(mkdtempSync(join(tmpdir(), 'tw-parity-')), 'trailwatch.config.json');
    expect(convertTuning(EXAMPLE, deployedJson)).toBe(true);
    const env = { TRAILWATCH_TUNING_FILE: deployedJson, TRAILWATCH_NOVELTY_TABLE: 'novelty-parity' };
    const handler = createDetectHandler({
      config: loadConfig({ TRAILWATCH_STAGE: 'prod', TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trailwatch-test-alerts', TRAILWATCH_FINDINGS_BUS_NAME: 'trailwatch-test-findings' }),
      log,
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      enrichers: await createEnrichers({ mode: 'local', routing: await createDeployedRouter(env, log, table.client, detections) }),
      ...(approvedRegions ? { approvedRegions } : {}),
    });
    for (const envelope of stream) await handler(envelope);
    const onBus = events.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}') as Finding));

    expect(replayed.findings.length).toBeGreaterThan(100);
    expect(onBus).toHaveLength(replayed.findings.length);
    expect(onBus.every((f) => f.route && f.routeReason)).toBe(true);
    const lambda = new Map(onBus.map((f) => [key(f), decision(f)]));
    const replay = new Map(replayed.findings.map((f) => [key(f), decision(f)]));
    expect(lambda).toEqual(replay);
    // Not trivially equal: the configuration and the novelty model both changed routes.
    const reasons = [...replay.values()].map((d) => d.routeReason ?? '');
    expect(reasons.some((r) => r.includes('routine:'))).toBe(true);
    expect(reasons.some((r) => r.includes('detection turned off'))).toBe(true);
    expect(replayed.findings.filter((f) => f.detection === 'unused-region-activity').length).toBeGreaterThanOrEqual(8);
    expect(reasons.some((r) => r.includes('grants only to organization account'))).toBe(true);
    expect(new Set([...replay.values()].map((d) => d.route))).toEqual(new Set(['page', 'digest', 'summary', 'record']));
    // The metrics carry the routes.
    const datums = cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
    expect(datums.some((d) => d.MetricName === 'FindingsRouted' && d.Dimensions?.[0]?.Value === 'record')).toBe(true);
  });
});
