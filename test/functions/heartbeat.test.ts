import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCheckHandler, HeartbeatConfigError, readSilenceOptions } from '../../functions/heartbeat-check.ts';
import { createRecordHandler } from '../../functions/heartbeat.ts';
import { StaticExpectedAccounts } from '../../shared/heartbeat/check.ts';
import { DynamoHeartbeatStore } from '../../shared/heartbeat/dynamodb-store.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { Router } from '../../shared/routing/router.ts';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite.ts';
import { beatEnvelope } from '../heartbeat/beats.ts';
import { testConfig } from '../helpers/config.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-12-02T00:00:00Z');
const A = '444455556666';
const config = testConfig();
const sns = mockClient(SNSClient);
const bus = mockClient(EventBridgeClient);
const cloudwatch = mockClient(CloudWatchClient);

let dynamo: LocalDynamo;
let table = 0;
beforeAll(async () => {
  dynamo = await startDynalite();
}, 60_000);
afterAll(async () => dynamo?.stop());

async function freshStore(): Promise<DynamoHeartbeatStore> {
  table += 1;
  await dynamo.createTable(`heartbeats-${table}`);
  return new DynamoHeartbeatStore(dynamo.client, `heartbeats-${table}`);
}

/** The findings the check put on the findings bus (each PutEvents entry's Detail). */
const busFindings = (): Finding[] => bus.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(String(e.Detail)) as Finding));

beforeEach(() => {
  for (const m of [sns, bus, cloudwatch]) m.reset();
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] }));
  bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
  cloudwatch.on(PutMetricDataCommand).resolves({});
});

describe('heartbeat recorder (functions/heartbeat.ts) on DynamoDB (dynalite)', () => {
  it('keeps the newest heartbeat per account and region, and a late retry never moves it back', async () => {
    const store = await freshStore();
    const record = createRecordHandler({ store, log: createMemoryLog(), now: () => T0 + 60 * MIN });
    expect(await record(beatEnvelope(A, 'eu-west-1', T0 + 10 * MIN))).toEqual({ recorded: true, account: A, region: 'eu-west-1' });
    expect(await record(beatEnvelope(A, 'eu-west-1', T0 + 15 * MIN))).toMatchObject({ recorded: true });
    // EventBridge retried an older delivery: stored value stays.
    expect(await record(beatEnvelope(A, 'eu-west-1', T0 + 5 * MIN))).toMatchObject({ recorded: false });
    expect(await record(beatEnvelope(A, 'us-east-2', T0 + 5 * MIN))).toMatchObject({ recorded: true });
    const pairs = (await store.list()).sort((a, b) => a.region.localeCompare(b.region));
    expect(pairs).toEqual([
      { account: A, region: 'eu-west-1', lastSeenMs: T0 + 15 * MIN, status: 'ok' },
      { account: A, region: 'us-east-2', lastSeenMs: T0 + 5 * MIN, status: 'ok' },
    ]);
  });

  it('caps a member clock in the future at now, and skips malformed events without writing', async () => {
    const store = await freshStore();
    const log = createMemoryLog();
    const record = createRecordHandler({ store, log, now: () => T0 });
    await record(beatEnvelope(A, 'eu-west-1', T0 + 24 * 60 * MIN));
    expect((await store.list())[0]?.lastSeenMs).toBe(T0);
    expect(await record({ source: 'aws.events', 'detail-type': 'Scheduled Event', account: 'x', region: 'eu-west-1', time: '2026-12-02T00:00:00Z' })).toMatchObject({ recorded: false, skipped: expect.stringMatching(/12-digit/) });
    expect(await record('not an event')).toMatchObject({ recorded: false });
    expect(store.stats.writes).toBe(1);
    expect(log.lines.filter((l) => l.message === 'heartbeat skipped')).toHaveLength(2);
  });
});

describe('heartbeat check (functions/heartbeat-check.ts) on DynamoDB (dynalite), delivering through the normal sinks', () => {
  const silence = { silenceMinutes: 20, regions: ['eu-west-1'], home: { account: '111122223333', region: 'us-east-1' } };

  async function setup(now: { t: number }) {
    const store = await freshStore();
    const check = createCheckHandler({
      config,
      silence,
      store,
      expected: new StaticExpectedAccounts([]),
      log: createMemoryLog(),
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      router: new Router({}),
      now: () => now.t,
    });
    return { store, check };
  }

  it('pages once for a silent account and region, then digests its return', async () => {
    const now = { t: T0 };
    const { store, check } = await setup(now);
    await store.record(A, 'eu-west-1', T0);
    now.t = T0 + 15 * MIN;
    expect(await check()).toMatchObject({ findings: 0 });
    now.t = T0 + 21 * MIN;
    expect(await check()).toMatchObject({ pairs: 1, findings: 1 });
    now.t = T0 + 26 * MIN;
    expect(await check()).toMatchObject({ findings: 0 });
    await store.record(A, 'eu-west-1', T0 + 30 * MIN);
    now.t = T0 + 31 * MIN;
    expect(await check()).toMatchObject({ findings: 1 });
    const findings = busFindings();
    expect(findings.map((f) => [f.detection, f.account, f.region, f.route])).toEqual([
      ['forwarder-silent', A, 'eu-west-1', 'page'],
      ['forwarder-resumed', A, 'eu-west-1', 'digest'],
    ]);
    // Each went to the alerts topic too (what the notifier pages or digests from).
    expect(sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? [])).toHaveLength(2);
    // And into the Findings metric the high-findings alarm watches.
    const data = cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
    expect(data.some((d) => d.MetricName === 'Findings' && d.Dimensions?.[0]?.Value === 'high')).toBe(true);
    expect(data.filter((d) => d.MetricName === 'EventsProcessed').every((d) => d.Value === 0)).toBe(true);
  });

  it('fails the run and undoes it when the alert cannot be delivered, so the next run reports it', async () => {
    const now = { t: T0 };
    const { store, check } = await setup(now);
    await store.record(A, 'eu-west-1', T0);
    sns.on(PublishBatchCommand).rejects(new Error('SNS is down'));
    now.t = T0 + 25 * MIN;
    await expect(check()).rejects.toThrow();
    expect((await store.list())[0]?.status).toBe('ok');
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: 'm' })), Failed: [] }));
    now.t = T0 + 30 * MIN;
    expect(await check()).toMatchObject({ findings: 1 });
    expect((await store.list())[0]?.status).toBe('silent');
  });

  it('adds the expected pairs (organization accounts x StackSet regions) to the table and reports one never heard from', async () => {
    const now = { t: T0 };
    const store = await freshStore();
    const check = createCheckHandler({
      config, silence, store, expected: new StaticExpectedAccounts([A, '111122223333']), log: createMemoryLog(),
      sns: new SNSClient({ region: 'us-east-1' }), eventBridge: new EventBridgeClient({ region: 'us-east-1' }), cloudWatch: new CloudWatchClient({ region: 'us-east-1' }), now: () => now.t,
    });
    expect(await check()).toMatchObject({ pairs: 2, added: 2, findings: 0 });
    await store.record('111122223333', 'eu-west-1', T0 + 10 * MIN);
    now.t = T0 + 21 * MIN;
    expect(await check()).toMatchObject({ added: 0, findings: 1 });
    expect(busFindings().map((f) => [f.detection, f.account, f.region])).toEqual([['forwarder-silent', A, 'eu-west-1']]);
  });
});

describe('heartbeat check settings', () => {
  const env = { TRAILWATCH_HOME_ACCOUNT: '111122223333', AWS_REGION: 'us-east-1' };
  it('defaults to 20 minutes and reads the StackSet regions', () => {
    expect(readSilenceOptions({ ...env, TRAILWATCH_HEARTBEAT_REGIONS: 'us-east-1, eu-west-1,eu-west-1' })).toEqual({ silenceMinutes: 20, regions: ['us-east-1', 'eu-west-1'], home: { account: '111122223333', region: 'us-east-1' } });
  });
  it('refuses a threshold under two heartbeats, a malformed region or a missing home account, naming each', () => {
    expect(() => readSilenceOptions({ ...env, TRAILWATCH_HEARTBEAT_SILENCE_MINUTES: '5' })).toThrow(HeartbeatConfigError);
    expect(() => readSilenceOptions({ ...env, TRAILWATCH_HEARTBEAT_SILENCE_MINUTES: 'soon' })).toThrow(/SILENCE_MINUTES/);
    expect(() => readSilenceOptions({ ...env, TRAILWATCH_HEARTBEAT_REGIONS: 'Ireland' })).toThrow(/malformed region/);
    expect(() => readSilenceOptions({ AWS_REGION: 'us-east-1' })).toThrow(/TRAILWATCH_HOME_ACCOUNT/);
  });
});
