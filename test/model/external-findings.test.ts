import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDetectHandler } from '../../functions/detect.ts';
import { buildSnsMessage } from '../../shared/alerts/sns-message.ts';
import { loadConfig } from '../../shared/config.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { inputTemplate } from '../../shared/pipeline/event-rules.ts';
import { createLocalRouter } from '../../shared/routing/router.ts';
import { detections, getDetection } from '../../shared/detections/index.ts';
import { EXTERNAL_FINDING_EVENT_TYPE } from '../../shared/model/external-findings.ts';
import { normalize } from '../../shared/model/normalize.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { EVENTS_DIR, readJson, sampleEvent } from '../helpers/events.ts';
import { join } from 'node:path';

const detection = getDetection('aws-security-findings')!;
const envelope = (name: string) => readJson(join(EVENTS_DIR, 'aws-security-findings', `${name}.json`)) as Record<string, unknown>;

describe('other detectors\' findings enter the alert path', () => {
  it('normalises GuardDuty, Security Hub and Inspector envelopes into TrailEvents with stable ids', () => {
    const gd = sampleEvent('aws-security-findings', 'positive-guardduty-credential-exfiltration');
    expect(gd).toMatchObject({ eventType: EXTERNAL_FINDING_EVENT_TYPE, source: 'guardduty.amazonaws.com', name: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', account: '111122223333', region: 'us-east-1' });
    expect(gd.id).toMatch(/^guardduty:[0-9a-f]{32}@2026-11-20T09:53:10.402Z$/);
    expect(sampleEvent('aws-security-findings', 'positive-securityhub-control-failed').source).toBe('securityhub.amazonaws.com');
    expect(sampleEvent('aws-security-findings', 'positive-inspector-critical-cve').name).toBe('PACKAGE_VULNERABILITY');
  });

  it('keeps the detector\'s severity and names the affected principal', () => {
    const [gd] = detection.detect(sampleEvent('aws-security-findings', 'positive-guardduty-credential-exfiltration'));
    expect(gd).toMatchObject({ severity: 'high', principal: { type: 'AssumedRole', name: 'web-instance-role', accessKeyId: 'ASIAZ3EXAMPLEINST0001' } });
    expect(gd?.inherentRisk).toBeDefined();
    expect(detection.detect(sampleEvent('aws-security-findings', 'positive-guardduty-portprobe')).map((f) => f.severity)).toEqual(['low']);
    expect(detection.detect(sampleEvent('aws-security-findings', 'positive-securityhub-control-failed')).map((f) => f.severity)).toEqual(['high']);
    const [cve] = detection.detect(sampleEvent('aws-security-findings', 'positive-inspector-critical-cve'));
    expect(cve).toMatchObject({ severity: 'critical', details: { detector: 'Inspector', findingType: 'PACKAGE_VULNERABILITY', resource: 'i-0a1b2c3d4e5f67890' } });
  });

  it('drops archived, closed and passed findings and Security Hub copies of GuardDuty findings', () => {
    for (const name of ['negative-guardduty-archived', 'negative-securityhub-passed-and-guardduty-copy', 'negative-inspector-closed']) expect(detection.detect(sampleEvent('aws-security-findings', name)), name).toEqual([]);
  });

  it('gives each finding of a Security Hub batch its own id, and sample findings are info', () => {
    const env = envelope('positive-securityhub-control-failed');
    const detail = env['detail'] as { findings: Array<Record<string, unknown>> };
    const batch = { ...env, detail: { findings: [detail.findings[0], { ...detail.findings[0], Id: 'arn:aws:securityhub:us-east-1:111122223333:finding/second' }] } };
    const result = normalize(batch);
    expect(result.ok).toBe(true);
    const findings = result.ok ? detection.detect(result.event) : [];
    expect(new Set(findings.map((f) => f.eventId)).size).toBe(2);
    const gdEnv = envelope('positive-guardduty-portprobe');
    const gdDetail = gdEnv['detail'] as Record<string, unknown>;
    const sample = { ...gdEnv, detail: { ...gdDetail, service: { ...(gdDetail['service'] as object), additionalInfo: { sample: true } } } };
    const s = normalize(sample);
    expect(s.ok && detection.detect(s.event).map((f) => [f.severity, f.details['sample']])).toEqual([['info', true]]);
  });

  it('turns broken detector events into counted skips, never crashes', () => {
    const run = runDetections(
      [
        { value: { 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', detail: 'nope' } },
        { value: { 'detail-type': 'Security Hub Findings - Imported', source: 'aws.securityhub', detail: { findings: [] } } },
        { value: { 'detail-type': 'Inspector2 Finding', source: 'aws.inspector2', detail: { status: 'ACTIVE' } } },
      ],
      [detection],
    );
    expect(run.findings).toEqual([]);
    expect(run.skips.map((s) => s.reason)).toEqual(['GuardDuty Finding event without a detail object', 'Security Hub event without findings', 'Inspector2 Finding event without a finding id']);
  });

  it('no other detection fires on a detector finding', () => {
    const run = runDetections([{ value: envelope('positive-guardduty-credential-exfiltration') }], detections);
    expect(run.findings.map((f) => f.detection)).toEqual(['aws-security-findings']);
  });
});

// The deployed path: the detect handler receives the finding from its own rule (route
// `wildcard:aws-security-findings`), routes it like any finding and publishes it through the same
// SNS message builder and findings bus; the notifier's claims key on (detection, eventId), and the
// eventId is the finding id + update time, so a redelivered finding is the same alert.
describe('a detector finding through the detect handler', () => {
  const TOPIC = 'arn:aws:sns:us-east-1:111122223333:trailwatch-test-alerts';
  const BUS = 'trailwatch-test-findings';
  const sns = mockClient(SNSClient);
  const bus = mockClient(EventBridgeClient);
  const cloudwatch = mockClient(CloudWatchClient);
  const routed = (event: unknown) => JSON.parse(inputTemplate('wildcard:aws-security-findings').replace('<aws.events.event.json>', JSON.stringify(event))) as unknown;

  beforeEach(() => {
    sns.reset();
    bus.reset();
    cloudwatch.reset();
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({ Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] }));
    bus.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
    cloudwatch.on(PutMetricDataCommand).resolves({});
  });

  async function handler() {
    const config = loadConfig({ TRAILWATCH_STAGE: 'test', TRAILWATCH_STACK_NAME: 'trailwatch-test', TRAILWATCH_ALERTS_TOPIC_ARN: TOPIC, TRAILWATCH_FINDINGS_BUS_NAME: BUS, TRAILWATCH_METRICS_NAMESPACE: 'Trailwatch' });
    const router = await createLocalRouter({ detections, novelty: true });
    return createDetectHandler({ config, log: createMemoryLog(), sns: new SNSClient({ region: 'us-east-1' }), eventBridge: new EventBridgeClient({ region: 'us-east-1' }), cloudWatch: new CloudWatchClient({ region: 'us-east-1' }), enrichers: [router] });
  }

  it('a GuardDuty finding is routed and published like our own findings', async () => {
    const run = await handler();
    const result = await run(routed(envelope('positive-guardduty-credential-exfiltration')));
    expect(result).toMatchObject({ route: 'wildcard:aws-security-findings', detections: ['aws-security-findings'], findings: 1 });
    const entry = sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0];
    const finding = JSON.parse((JSON.parse(entry?.Message ?? '{}') as Record<string, string>)['lambda'] ?? '{}') as Finding;
    expect(finding).toMatchObject({ detection: 'aws-security-findings', severity: 'high', route: 'page' });
    expect(finding.routeReason).toMatch(/dangerous in itself/);
    expect(finding.eventId).toBe(sampleEvent('aws-security-findings', 'positive-guardduty-credential-exfiltration').id);
    const expected = buildSnsMessage(finding);
    expect(entry).toMatchObject({ Subject: expected.Subject, Message: expected.Message, MessageStructure: 'json' });
    expect(JSON.parse(bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}')).toEqual(finding);
  });

  it('a passed Security Hub control (and its copy of a GuardDuty finding) sends nothing', async () => {
    const run = await handler();
    const result = await run(routed(envelope('negative-securityhub-passed-and-guardduty-copy')));
    expect(result).toMatchObject({ findings: 0 });
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });
});
