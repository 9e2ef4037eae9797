import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDetectHandler } from '../../functions/detect.ts';
import { memberTemplate } from '../../scripts/member-template.ts';
import { loadConfig } from '../../shared/config.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { EVENTS_DIR, readJson } from '../helpers/events.ts';
import { packagedTemplate } from '../helpers/packaged.ts';

/**
 * An event in a member account and a non-us-east-1 region, followed through the deployed
 * definitions: the generated member forwarding rule, the central bus's copies of the detect rules
 * in the packaged template (their patterns and input transformers), and the detect handler. The
 * EventBridge matching is our Event Ruler-compatible matcher (shared/pipeline/event-pattern.ts);
 * the AWS delivery itself (cross-account bus target, role) is not exercised here (docs/organization.md).
 */
type Resource = { Type: string; Condition?: string; Properties: Record<string, unknown> };
let central: Array<[string, Resource]>;
beforeAll(() => {
  const t = packagedTemplate<{ Resources: Record<string, Resource> }>();
  central = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties['EventBusName']) === JSON.stringify({ Ref: 'CentralBus' }));
}, 120_000);

const MEMBER = '444455556666';
function memberEvent(): Record<string, unknown> {
  const e = readJson(join(EVENTS_DIR, 'security-group-changes', 'positive-rdp-open-ipv6.json')) as Record<string, Record<string, unknown>>;
  const detail = { ...e['detail'], recipientAccountId: MEMBER, awsRegion: 'eu-west-1', userIdentity: { ...(e['detail']!['userIdentity'] as Record<string, unknown>), accountId: MEMBER } };
  return { ...e, account: MEMBER, region: 'eu-west-1', detail };
}

describe('organization mode: a member account event in eu-west-1 reaches the central detections', () => {
  it('is forwarded by the member rule, matched by exactly the central copies of the detect rules and the rates rule, and detected naming the account and region', async () => {
    const event = memberEvent();
    const member = memberTemplate({ stackName: 'trailwatch-ci' }) as { Resources: Record<string, Resource> };
    expect(matchesPattern(member.Resources['ForwardRule']!.Properties['EventPattern'], event)).toBe(true);

    const matched = central.filter(([, r]) => matchesPattern(r.Properties['EventPattern'], event));
    expect(matched.map(([id]) => id)).toContain('CentralRatesRule');
    const detectRules = matched.filter(([id]) => id.startsWith('CentralDetectRule'));
    expect(detectRules).toHaveLength(1);

    const sns = mockClient(SNSClient);
    const bus = mockClient(EventBridgeClient);
    const cw = mockClient(CloudWatchClient);
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: e.Id })), Failed: [] }));
    bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: String(i) })) }));
    cw.on(PutMetricDataCommand).resolves({});
    const handler = createDetectHandler({
      config: loadConfig({ TRAILWATCH_STACK_NAME: 'trailwatch-ci', TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts', TRAILWATCH_FINDINGS_BUS_NAME: 'trailwatch-ci-findings' }),
      log: createMemoryLog(),
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      enrichers: [],
    });
    // What the central rule's target delivers: its InputTransformer applied to the event.
    const [target] = detectRules[0]![1].Properties['Targets'] as Array<{ InputTransformer: { InputTemplate: string } }>;
    const delivered = JSON.parse(target!.InputTransformer.InputTemplate.replace('<aws.events.event.json>', JSON.stringify(event))) as unknown;
    const result = await handler(delivered);
    expect(result.detections).toEqual(['security-group-changes']);
    const entries = sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
    expect(entries).toHaveLength(1);
    const finding = JSON.parse((JSON.parse(entries[0]!.Message!) as Record<string, string>)['lambda']!) as Finding;
    expect(finding).toMatchObject({ account: MEMBER, region: 'eu-west-1' });
    expect(entries[0]!.Message).toContain(MEMBER);
    sns.restore();
    bus.restore();
    cw.restore();
  });

});
