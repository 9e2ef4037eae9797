import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRatesHandler } from '../../functions/rates.ts';
import { createMemoryLog } from '../../shared/log.ts';
import { defaultRateConfig } from '../../shared/rates/config.ts';
import { DynamoRateStore } from '../../shared/rates/dynamodb-store.ts';
import { MemoryRateStore, type RateStore } from '../../shared/rates/store.ts';
import { MIN, record, T0 } from '../rates/records.ts';
import { testConfig } from '../helpers/config.ts';

const config = testConfig();
const sns = mockClient(SNSClient);
const bus = mockClient(EventBridgeClient);
const cloudwatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBClient);

let msg = 0;
/** An SQS record carrying an EventBridge "AWS API Call via CloudTrail" envelope, as the rule delivers it. */
function sqs(detail: Record<string, unknown> | string): SQSRecord {
  msg += 1;
  const body =
    typeof detail === 'string'
      ? detail
      : JSON.stringify({ version: '0', id: `eb-${msg}`, 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.ec2', account: '111122223333', time: detail['eventTime'], region: 'us-east-1', resources: [], detail });
  const sent = typeof detail === 'string' ? T0 : Date.parse(String(detail['eventTime'])) + 5_000;
  return {
    messageId: `m-${msg}`,
    receiptHandle: 'r',
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sent), SenderId: 'AIDAEVENTS', ApproximateFirstReceiveTimestamp: String(sent) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:trailwatch-test-rates',
    awsRegion: 'us-east-1',
  };
}

function batch(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

function setup(store: RateStore = new MemoryRateStore()) {
  const log = createMemoryLog();
  const handler = createRatesHandler({
    config,
    rates: defaultRateConfig(),
    store,
    log,
    sns: new SNSClient({ region: 'us-east-1' }),
    eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
  });
  return { handler, log };
}

beforeEach(() => {
  for (const m of [sns, bus, cloudwatch, dynamo]) m.reset();
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({
    Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
    Failed: [],
  }));
  bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
  cloudwatch.on(PutMetricDataCommand).resolves({});
});

describe('rates handler', () => {
  it('turns an SQS batch with a burst into one alert on SNS and one finding on the bus', async () => {
    const { handler } = setup();
    // 150 minutes of normal history at 3 calls/min, one SQS batch per minute.
    for (let m = 0; m < 150; m += 1) {
      const res = await handler(batch([0, 1, 2].map((i) => sqs(record({ time: T0 + m * MIN + i * 15_000 })))));
      expect(res.batchItemFailures).toEqual([]);
    }
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
    const burst = Array.from({ length: 120 }, (_, i) => sqs(record({ time: T0 + 150 * MIN + i * 400, eventName: 'ListBuckets', eventSource: 's3.amazonaws.com', ip: '203.0.113.9' })));
    const res = await handler(batch(burst));
    expect(res.batchItemFailures).toEqual([]);
    const published = sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
    expect(published).toHaveLength(1);
    const put = bus.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(put).toHaveLength(1);
    const finding = JSON.parse(String(put[0]?.Detail)) as { detection: string; details: { observed: number } };
    expect(finding.detection).toBe('api-rate-anomaly');
    expect(finding.details.observed).toBe(120);
  });

  it('skips unparseable and non-CloudTrail messages with a reason instead of retrying them', async () => {
    const { handler, log } = setup();
    const noTime = record({ time: T0 });
    delete noTime['eventTime'];
    const future = record({ time: T0 + 3_600_000 });
    const future_ = sqs(future);
    future_.attributes.SentTimestamp = String(T0); // delivered an hour before its eventTime: skewed clock
    const res = await handler(
      batch([sqs('{not json'), sqs(JSON.stringify({ 'detail-type': 'EC2 Instance State-change Notification', source: 'aws.ec2', detail: {} })), sqs(noTime), future_, sqs(record({ time: T0 }))]),
    );
    expect(res.batchItemFailures).toEqual([]);
    const line = log.lines.find((l) => l.message === 'rate batch processed');
    expect(line?.attributes?.['skipped']).toBe(4);
    expect(line?.attributes?.['counted']).toBe(1);
    expect(Object.keys(line?.attributes?.['skipReasons'] as object)).toEqual(
      expect.arrayContaining(['rates: SQS message body is not JSON', 'missing eventTime', expect.stringMatching(/clock skew/)]),
    );
  });

  it('reports every message as failed when the state table is unavailable, so SQS redelivers the batch', async () => {
    dynamo.on(UpdateItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const { handler } = setup(new DynamoRateStore(new DynamoDBClient({ region: 'us-east-1' }), 'rates'));
    const records = [sqs(record({ time: T0 })), sqs(record({ time: T0 + 1000 }))];
    const res = await handler(batch(records));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(records.map((r) => r.messageId));
  });
});
