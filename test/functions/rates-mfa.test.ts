import { join } from 'node:path';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDetectHandler } from '../../functions/detect.ts';
import { createMfaSweepHandler, createRatesHandler, MFA_LATENESS_MINUTES } from '../../functions/rates.ts';
import { ConfigError, loadConfig } from '../../shared/config.ts';
import { createMemoryLog } from '../../shared/log.ts';
import { MfaReplacementProcessor } from '../../shared/mfa/replacement.ts';
import { MemoryMfaStore } from '../../shared/mfa/store.ts';
import type { Finding } from '../../shared/model/types.ts';
import { defaultRateConfig } from '../../shared/rates/config.ts';
import { MemoryRateStore } from '../../shared/rates/store.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';
import { MIN, record, T0 } from '../rates/records.ts';
import { TEST_ENV } from '../helpers/config.ts';

// The deployed MFA-replacement judgement: detect defers a user's MFA removal (low), the rates
// function settles it on its SQS batches, the scheduled sweep pages it when no later event comes.

const env = { ...TEST_ENV, TRAILWATCH_STACK_NAME: 'trailwatch-test' };
const config = loadConfig({ ...env, TRAILWATCH_MFA_REPLACEMENT_MINUTES: '15' });
const sns = mockClient(SNSClient);
const bus = mockClient(EventBridgeClient);
const cloudwatch = mockClient(CloudWatchClient);

let msg = 0;
/** An IAM MFA call by alice (an IAM user) for user `user`, as the rates rule puts it on the queue. */
function mfaCall(eventName: string, minute: number, user = 'bob', serial = `arn:aws:iam::111122223333:mfa/${user}-phone`): Record<string, unknown> {
  const r = record({ time: T0 + minute * MIN, eventName, eventSource: 'iam.amazonaws.com', user: 'alice' });
  return { ...r, readOnly: false, requestParameters: eventName === 'DeleteVirtualMFADevice' ? { serialNumber: serial } : { userName: user, serialNumber: serial } };
}
const other = (minute: number) => record({ time: T0 + minute * MIN, user: 'carol' });

function sqs(detail: Record<string, unknown>): SQSRecord {
  msg += 1;
  const body = JSON.stringify({ version: '0', id: `eb-${msg}`, 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', account: '111122223333', time: detail['eventTime'], region: 'us-east-1', resources: [], detail });
  const sent = String(Date.parse(String(detail['eventTime'])) + 5_000);
  return { messageId: `m-${msg}`, receiptHandle: 'r', body, attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: 'AIDAEVENTS', ApproximateFirstReceiveTimestamp: sent }, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:trailwatch-test-rates', awsRegion: 'us-east-1' };
}
const batch = (...details: Array<Record<string, unknown>>): SQSEvent => ({ Records: details.map(sqs) });

const clients = () => ({ sns: new SNSClient({ region: 'us-east-1' }), eventBridge: new EventBridgeClient({ region: 'us-east-1' }), cloudWatch: new CloudWatchClient({ region: 'us-east-1' }) });

function setup() {
  const store = new MemoryMfaStore();
  const deployed = () => new MfaReplacementProcessor(store, { windowMinutes: 15, latenessMinutes: MFA_LATENESS_MINUTES, settleAfterDelivery: true });
  const log = createMemoryLog();
  const rates = createRatesHandler({ config, rates: defaultRateConfig(), store: new MemoryRateStore(), log, ...clients(), mfa: deployed() });
  let now = T0;
  const sweep = createMfaSweepHandler({ config, mfa: deployed(), log, ...clients(), clock: () => now });
  return { store, rates, sweep, log, setNow: (t: number) => (now = t) };
}

/** Findings put on the findings bus so far. */
const onBus = (): Finding[] => bus.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(String(e.Detail)) as Finding));

beforeEach(() => {
  for (const m of [sns, bus, cloudwatch]) m.reset();
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] }));
  bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
  cloudwatch.on(PutMetricDataCommand).resolves({});
});

describe('deployed MFA replacement: rates function and sweep', () => {
  it('a device replaced within the window pages nothing, however many batches follow', async () => {
    const { rates, sweep, store, setNow } = setup();
    expect((await rates(batch(mfaCall('DeactivateMFADevice', 0), mfaCall('DeleteVirtualMFADevice', 0)))).batchItemFailures).toEqual([]);
    await rates(batch(mfaCall('CreateVirtualMFADevice', 4), mfaCall('EnableMFADevice', 4)));
    await rates(batch(other(40)));
    setNow(T0 + 3 * 3_600_000);
    expect(await sweep()).toEqual({ findings: 0, pending: 0 });
    expect(onBus().filter((f) => f.detection === 'mfa-deactivated')).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('a removal never replaced pages once from the batch whose stream passes the deadline (plus the lateness allowed)', async () => {
    const { rates, sweep, setNow } = setup();
    const removal = mfaCall('DeactivateMFADevice', 0);
    await rates(batch(removal));
    await rates(batch(other(18))); // past the deadline, within the lateness allowance: not yet
    expect(onBus()).toEqual([]);
    await rates(batch(other(21)));
    const pages = onBus();
    expect(pages.map((f) => [f.detection, f.severity, f.eventId])).toEqual([['mfa-deactivated', 'high', `${String(removal['eventID'])}-not-replaced`]]);
    expect(pages[0]?.inherentRisk).toMatch(/not replaced/);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
    // Settled after delivery: neither a later batch nor the sweep pages it again.
    await rates(batch(other(60)));
    setNow(T0 + 3 * 3_600_000);
    expect(await sweep()).toEqual({ findings: 0, pending: 0 });
    expect(onBus()).toHaveLength(1);
  });

  it('when no further event ever comes, the sweep pages it — once the deadline plus the delivery margin passed by the wall clock', async () => {
    const { rates, sweep, setNow } = setup();
    const removal = mfaCall('DeactivateMFADevice', 0);
    await rates(batch(removal));
    setNow(T0 + 29 * MIN); // deadline 15 min + margin 15 min not yet reached
    expect(await sweep()).toEqual({ findings: 0, pending: 1 });
    setNow(T0 + 30 * MIN);
    expect(await sweep()).toEqual({ findings: 1, pending: 0 });
    expect(onBus().map((f) => f.eventId)).toEqual([`${String(removal['eventID'])}-not-replaced`]);
    setNow(T0 + 35 * MIN);
    expect(await sweep()).toEqual({ findings: 0, pending: 0 });
  });

  it('a failed delivery loses no page: the batch is redelivered and pages; a failed sweep leaves the removal for the next run', async () => {
    const { rates, sweep, setNow, store } = setup();
    await rates(batch(mfaCall('DeactivateMFADevice', 0)));
    bus.on(PutEventsCommand).rejects(new Error('ServiceUnavailable'));
    const failing = batch(other(25));
    const res = await rates(failing);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(failing.Records.map((r) => r.messageId));
    expect(store.size).toBe(1);
    setNow(T0 + 40 * MIN);
    await expect(sweep()).rejects.toThrow();
    expect(store.size).toBe(1);
    bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
    bus.resetHistory(); // only what gets through from here on
    expect((await rates(failing)).batchItemFailures).toEqual([]);
    expect(onBus().filter((f) => f.detection === 'mfa-deactivated').map((f) => f.severity)).toEqual(['high']);
    expect(store.size).toBe(0);
  });

  it('a new device enabled by someone else, or after the window, does not count', async () => {
    const { rates } = setup();
    await rates(batch(mfaCall('DeactivateMFADevice', 0, 'dana', 'arn:aws:iam::111122223333:mfa/dana')));
    const enabledByOther = { ...mfaCall('EnableMFADevice', 3, 'dana', 'arn:aws:iam::111122223333:mfa/dana'), userIdentity: (other(3) as { userIdentity: unknown }).userIdentity };
    await rates(batch(enabledByOther, other(30)));
    expect(onBus().map((f) => f.details['userName'])).toEqual(['dana']);
  });
});

describe('deployed MFA replacement: detect defers only what the rates function judges', () => {
  const sample = (name: string) => readJson(join(EVENTS_DIR, 'mfa-deactivated', `${name}.json`));
  const run = async (cfg: typeof config, name: string) => {
    bus.resetHistory();
    const handler = createDetectHandler({ config: cfg, log: createMemoryLog(), ...clients(), enrichers: [] });
    await handler(sample(name));
    return onBus().filter((f) => f.detection === 'mfa-deactivated').map((f) => f.severity);
  };

  it('with the stack setting (15 minutes) a user MFA removal is low at once; root MFA removal stays critical at once', async () => {
    expect(config.mfaReplacementMinutes).toBe(15);
    expect(await run(config, 'positive-user-mfa-deactivated')).toEqual(['low']);
    expect(await run(config, 'positive-root-mfa-deactivated')).toEqual(['critical']);
  });

  it('turned off (0 or unset) every MFA removal pages at once, and a malformed value fails the cold start', async () => {
    expect(loadConfig({ ...env, TRAILWATCH_MFA_REPLACEMENT_MINUTES: '0' }).mfaReplacementMinutes).toBeUndefined();
    expect(await run(loadConfig(env), 'positive-user-mfa-deactivated')).toEqual(['high']);
    expect(() => loadConfig({ ...env, TRAILWATCH_MFA_REPLACEMENT_MINUTES: 'soon' })).toThrow(ConfigError);
  });
});
