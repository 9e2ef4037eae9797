import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createDetectHandler } from '../../functions/detect.ts';
import { loadConfig } from '../../shared/config.ts';
import { detections } from '../../shared/detections/index.ts';
import type { Detection } from '../../shared/detections/types.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { sample } from '../helpers/hostile.ts';

describe('detect Lambda: a detection that throws', () => {
  it('still delivers a finding for the event (severity of the detection) and counts DetectionErrors', async () => {
    const sns = mockClient(SNSClient);
    const bus = mockClient(EventBridgeClient);
    const cloudwatch = mockClient(CloudWatchClient);
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: e.Id })), Failed: [] }));
    bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const rootSignin = detections.find((d) => d.id === 'root-signin') as Detection;
    const broken: Detection = { ...rootSignin, detect: () => { throw new TypeError("Cannot read properties of undefined (reading 'x')"); } };
    const handler = createDetectHandler({
      config: loadConfig({ TRAILWATCH_STAGE: 'test', TRAILWATCH_STACK_NAME: 'trailwatch-test', TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:a', TRAILWATCH_FINDINGS_BUS_NAME: 'f', TRAILWATCH_METRICS_NAMESPACE: 'Trailwatch' }),
      log: createMemoryLog(),
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      detections: detections.map((d) => (d.id === 'root-signin' ? broken : d)),
      enrichers: [],
    });
    const result = await handler(sample('root-signin', 'positive-success-no-mfa'));
    expect(result.detections).toContain('root-signin');
    const delivered = bus.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}') as Finding);
    const standIn = delivered.find((f) => f.detection === 'root-signin');
    expect(standIn?.severity).toBe('critical');
    expect(standIn?.details['detectionError']).toMatch(/Cannot read properties/);
    const metrics = cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];
    expect(metrics).toContainEqual(expect.objectContaining({ MetricName: 'DetectionErrors', Value: 1 }));
  });
});
