import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDetectHandler } from '../../functions/detect.ts';
import { buildSnsMessage } from '../../shared/alerts/sns-message.ts';
import { detections as registry } from '../../shared/detections/index.ts';
import { inputTemplate } from '../../shared/pipeline/event-rules.ts';
import { loadConfig } from '../../shared/config.ts';
import { createMemoryLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { OrganizationDirectory, type OrgSnapshot } from '../../shared/organization/directory.ts';
import { CachedDirectory } from '../../shared/organization/store.ts';
import { readJson } from '../helpers/events.ts';
import { join } from 'node:path';
import { EVENTS_DIR } from '../helpers/events.ts';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:trailwatch-test-alerts';
const BUS = 'trailwatch-test-findings';
const config = loadConfig({
  TRAILWATCH_STAGE: 'test',
  TRAILWATCH_STACK_NAME: 'trailwatch-test',
  TRAILWATCH_ALERTS_TOPIC_ARN: TOPIC,
  TRAILWATCH_FINDINGS_BUS_NAME: BUS,
  TRAILWATCH_METRICS_NAMESPACE: 'Trailwatch',
});

const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const cloudwatch = mockClient(CloudWatchClient);

function setup() {
  const log = createMemoryLog();
  const handler = createDetectHandler({
    config,
    log,
    sns: new SNSClient({ region: 'us-east-1' }),
    eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
    enrichers: [],
  });
  return { handler, log };
}

const rootSignin = () => readJson(join(EVENTS_DIR, 'root-signin', 'positive-success-no-mfa.json')) as Record<string, unknown>;
const iamUserSignin = () => readJson(join(EVENTS_DIR, 'root-signin', 'negative-iam-user-signin.json')) as Record<string, unknown>;

beforeEach(() => {
  sns.reset();
  events.reset();
  cloudwatch.reset();
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: Array<{ Id: string }> }) => ({
    Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
    Failed: [],
  }));
  events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `e-${i}` })) }));
  cloudwatch.on(PutMetricDataCommand).resolves({});
});

describe('detect handler: a root console sign-in', () => {
  it('sends exactly one alert, one finding event and one metrics call', async () => {
    const { handler, log } = setup();
    const result = await handler(rootSignin());
    expect(result).toEqual({ findings: 1, skipped: 0, detections: ['root-signin'], ran: registry.length });

    const publish = sns.commandCalls(PublishBatchCommand);
    expect(publish).toHaveLength(1);
    const input = publish[0]!.args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.PublishBatchRequestEntries).toHaveLength(1);
    const entry = input.PublishBatchRequestEntries![0]!;
    const message = JSON.parse(entry.Message!) as Record<string, string>;
    const finding = JSON.parse(message['lambda']!) as Finding;
    expect(finding).toMatchObject({ detection: 'root-signin', severity: 'critical', eventId: '0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02', account: '111122223333' });
    // The SNS entry is exactly what the alert builder makes for that finding.
    const expected = buildSnsMessage(finding);
    expect(entry).toEqual({ Id: '0', Subject: expected.Subject, Message: expected.Message, MessageStructure: 'json', MessageAttributes: expected.MessageAttributes });

    const put = events.commandCalls(PutEventsCommand);
    expect(put).toHaveLength(1);
    const entries = put[0]!.args[0].input.Entries!;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ EventBusName: BUS, Source: 'trailwatch', DetailType: 'Trailwatch Finding', Resources: ['arn:aws:iam::111122223333:root'] });
    expect(JSON.parse(entries[0]!.Detail!)).toEqual(finding);

    const metrics = cloudwatch.commandCalls(PutMetricDataCommand);
    expect(metrics).toHaveLength(1);
    const data = metrics[0]!.args[0].input;
    expect(data.Namespace).toBe('Trailwatch');
    const simplified = data.MetricData!.map((d) => ({ name: d.MetricName, value: d.Value, unit: d.Unit, dims: d.Dimensions ?? [] }));
    expect(simplified).toEqual([
      { name: 'EventsProcessed', value: 1, unit: 'Count', dims: [] },
      { name: 'EventsSkipped', value: 0, unit: 'Count', dims: [] },
      { name: 'Findings', value: 1, unit: 'Count', dims: [{ Name: 'Detection', Value: 'root-signin' }, { Name: 'Severity', Value: 'critical' }] },
      { name: 'Findings', value: 1, unit: 'Count', dims: [{ Name: 'Severity', Value: 'critical' }] },
    ]);

    // Structured logs carry the CloudTrail event id as correlation id.
    expect(log.lines.find((l) => l.message === 'event processed')?.correlationId).toBe('0b6f4d2e-8a1c-4e57-b3f2-6d9e0c7a1b02');
  });
});

describe('detect handler: no finding', () => {
  it('sends no alert and no finding event for an IAM user sign-in, but counts the event', async () => {
    const { handler } = setup();
    const result = await handler(iamUserSignin());
    expect(result.findings).toBe(0);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    const data = cloudwatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData!;
    expect(data.map((d) => [d.MetricName, d.Value])).toEqual([
      ['EventsProcessed', 1],
      ['EventsSkipped', 0],
    ]);
  });

  it('logs a malformed event with its reason and counts it as skipped, without throwing', async () => {
    const { handler, log } = setup();
    const result = await handler({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: 'not an object' });
    expect(result).toEqual({ findings: 0, skipped: 1, detections: [], ran: registry.length });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'event skipped', attributes: expect.objectContaining({ reason: 'AWS API Call via CloudTrail event without a detail object' }) }));
    const data = cloudwatch.commandCalls(PutMetricDataCommand)[0]!.args[0].input.MetricData!;
    expect(data.map((d) => [d.MetricName, d.Value])).toEqual([
      ['EventsProcessed', 0],
      ['EventsSkipped', 1],
    ]);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });
});

describe('detect handler: routed inputs (one per matching EventBridge rule)', () => {
  /** What a rule's InputTransformer hands the function. */
  const routed = (route: string, event: unknown) => JSON.parse(inputTemplate(route).replace('<aws.events.event.json>', JSON.stringify(event))) as unknown;
  // Root turns bucket versioning off: the s3 named rule and root-activity's own rule both match.
  const rootVersioning = () => readJson(join(EVENTS_DIR, 'root-activity', 'positive-root-console-put-bucket-versioning.json'));
  const metricsOf = () => cloudwatch.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!.filter((d) => !d.Dimensions?.length).map((d) => [d.MetricName, d.Value]));

  it('the named route runs the detections listing the pair, not the wildcard ones, and counts the event', async () => {
    const { handler } = setup();
    const result = await handler(routed('named', rootVersioning()));
    expect(result).toMatchObject({ route: 'named', detections: ['s3-bucket-config-changes'] });
    expect(result.ran).toBeLessThan(registry.length);
    expect(metricsOf()).toEqual([[['EventsProcessed', 1], ['EventsSkipped', 0]]]);
  });

  it('the wildcard route runs only its detection and leaves counting the event to the named rule', async () => {
    const { handler, log } = setup();
    const result = await handler(routed('wildcard:root-activity', rootVersioning()));
    expect(result).toMatchObject({ route: 'wildcard:root-activity', detections: ['root-activity'], ran: 1, findings: 1 });
    expect(metricsOf()).toEqual([[['EventsProcessed', 0], ['EventsSkipped', 0]]]);
    // The correlation id is the CloudTrail event id inside the wrapper.
    expect(log.lines.find((l) => l.message === 'event processed')?.correlationId).toBe((rootVersioning() as { detail: { eventID: string } }).detail.eventID);
  });

  it('the wildcard route counts an event no named rule holds (root calling an unwatched API)', async () => {
    const { handler } = setup();
    // Root's PasswordUpdated: no named detection lists that pair (root's CreateUser now is iam-identity-changes').
    const event = readJson(join(EVENTS_DIR, 'root-activity', 'positive-root-password-updated.json'));
    await handler(routed('wildcard:root-activity', event));
    expect(metricsOf()).toEqual([[['EventsProcessed', 1], ['EventsSkipped', 0]]]);
  });

  it('an unknown route (rules from another version) runs every detection and says so', async () => {
    const { handler, log } = setup();
    const result = await handler(routed('wildcard:not-a-detection', rootSignin()));
    expect(result).toMatchObject({ ran: registry.length, detections: ['root-signin'] });
    expect(log.lines.some((l) => l.level === 'warn' && /unknown route/.test(l.message))).toBe(true);
  });
});

describe('detect handler: failures reach the retry / dead-letter path', () => {
  it('throws when SNS reports a failed entry (after one retry of a server-side fault), still delivering to EventBridge', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false, Message: 'try later' }] });
    const { handler, log } = setup();
    await expect(handler(rootSignin())).rejects.toThrow(/sns/);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(2);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(log.lines.some((l) => l.level === 'error' && l.message === 'sink failed')).toBe(true);
  });

  it('does not retry an SNS sender fault (it would fail again) but still throws', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InvalidParameter', SenderFault: true, Message: 'bad' }] });
    const { handler } = setup();
    await expect(handler(rootSignin())).rejects.toThrow(/InvalidParameter/);
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
  });

  it('retries a failed PutEvents entry once and succeeds', async () => {
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ok' }] });
    const { handler } = setup();
    await expect(handler(rootSignin())).resolves.toMatchObject({ findings: 1 });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('throws when a PutEvents entry fails twice', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] });
    const { handler } = setup();
    await expect(handler(rootSignin())).rejects.toThrow(/eventbridge/);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('throws when the SNS API call itself fails', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('AuthorizationError: not allowed'));
    const { handler } = setup();
    await expect(handler(rootSignin())).rejects.toThrow(/AuthorizationError/);
  });

  it('logs but does not throw when only the metrics call fails (a retry would duplicate alerts)', async () => {
    cloudwatch.on(PutMetricDataCommand).rejects(new Error('Throttling'));
    const { handler, log } = setup();
    await expect(handler(rootSignin())).resolves.toMatchObject({ findings: 1 });
    expect(log.lines.some((l) => l.level === 'error' && /metrics flush failed/.test(l.message))).toBe(true);
  });
});

describe('config', () => {
  it('lists every missing or malformed variable at once', () => {
    expect(() => loadConfig({ TRAILWATCH_ALERTS_TOPIC_ARN: 'not-an-arn' })).toThrow(/TRAILWATCH_ALERTS_TOPIC_ARN is malformed.*TRAILWATCH_FINDINGS_BUS_NAME is not set/);
  });

  it('derives the self-protection names from the stack name', () => {
    expect(config.self).toEqual({ stackName: 'trailwatch-test', functionNamePrefix: 'trailwatch-test-', ruleNamePrefix: 'trailwatch-test-', topicArns: [TOPIC] });
  });
});

describe('detect handler: same-organization accounts (docs/organization.md)', () => {
  const trustGrant = () => readJson(join(EVENTS_DIR, 'policy-changed', 'positive-update-trust-foreign.json')) as Record<string, unknown>;
  const handlerDeps = (env: Record<string, string>) => ({
    config: loadConfig({ TRAILWATCH_STAGE: 'test', TRAILWATCH_STACK_NAME: 'trailwatch-test', TRAILWATCH_ALERTS_TOPIC_ARN: TOPIC, TRAILWATCH_FINDINGS_BUS_NAME: BUS, ...env }),
    log: createMemoryLog(),
    sns: new SNSClient({ region: 'us-east-1' }),
    eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
    cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
    enrichers: [],
  });
  const handlerWith = (env: Record<string, string>) => createDetectHandler(handlerDeps(env));
  const published = (): Finding[] =>
    sns.commandCalls(PublishBatchCommand).flatMap((c) => (c.args[0].input.PublishBatchRequestEntries ?? []).map((e) => JSON.parse((JSON.parse(e.Message ?? '{}') as Record<string, string>)['lambda'] ?? '{}') as Finding));

  it('reports a trust grant to an unknown account as foreign', async () => {
    await handlerWith({})(trustGrant());
    expect(published().map((f) => f.title).join('\n')).toMatch(/grants access to other account\(s\): 444455556666/);
  });

  it('does not when the account is declared as ours (TRAILWATCH_ORGANIZATION_ACCOUNTS)', async () => {
    await handlerWith({ TRAILWATCH_ORGANIZATION_ACCOUNTS: '444455556666, 555566667777' })(trustGrant());
    const titles = published().map((f) => f.title).join('\n');
    expect(titles).toMatch(/UpdateAssumeRolePolicy/);
    expect(titles).not.toMatch(/other account/);
  });

  it('does not once an event from that member account reached the central detections (organization mode)', async () => {
    const handler = handlerWith({});
    const member = iamUserSignin();
    const detail = member['detail'] as Record<string, unknown>;
    await handler({ ...member, account: '444455556666', region: 'eu-west-1', detail: { ...detail, recipientAccountId: '444455556666', awsRegion: 'eu-west-1' } });
    sns.resetHistory();
    await handler(trustGrant());
    expect(published().map((f) => f.title).join('\n')).not.toMatch(/other account/);
  });

  it('does not when the organization directory lists the account (AWS Organizations snapshot), and does again when it is not known', async () => {
    const snapshot: OrgSnapshot = { accounts: [{ id: '444455556666', name: 'payments-prod', status: 'ACTIVE', ouPath: [] }], readAt: '2026-12-02T00:00:00.000Z', source: 'organizations' };
    const known = createDetectHandler({ ...handlerDeps({}), directory: new CachedDirectory({ put: async () => ({ bytes: 0 }), get: async () => snapshot }) });
    await known(trustGrant());
    const titles = published().map((f) => f.title).join('\n');
    expect(titles).toMatch(/UpdateAssumeRolePolicy/);
    expect(titles).not.toMatch(/other account/);
    sns.resetHistory();
    const unknown = createDetectHandler({ ...handlerDeps({}), directory: new CachedDirectory({ put: async () => ({ bytes: 0 }), get: async () => ({ ...snapshot, accounts: [] }) }) });
    await unknown(trustGrant());
    expect(published().map((f) => f.title).join('\n')).toMatch(/grants access to other account\(s\): 444455556666/);
  });

  it('does not when the tuning file declares the account (organization.accounts), with no AWS directory', async () => {
    const declared = OrganizationDirectory.fromTuning({ accounts: [{ id: '444455556666', name: 'payments-prod' }] });
    await createDetectHandler({ ...handlerDeps({}), directory: new CachedDirectory(undefined, { declared }) })(trustGrant());
    expect(published().map((f) => f.title).join('\n')).not.toMatch(/other account/);
  });

  it('publishes Findings per Account only when per-account metrics are on', async () => {
    await createDetectHandler(handlerDeps({ TRAILWATCH_ACCOUNT_METRICS: 'true' }))(trustGrant());
    const data = cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
    const perAccount = data.filter((d) => d.Dimensions?.[0]?.Name === 'Account');
    expect(perAccount).toHaveLength(1);
    expect(perAccount[0]).toMatchObject({ MetricName: 'Findings', Value: 1, Dimensions: [{ Name: 'Account', Value: '111122223333' }] });
    cloudwatch.resetHistory();
    await createDetectHandler(handlerDeps({}))(trustGrant());
    const off = cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
    expect(off.some((d) => d.MetricName === 'Findings')).toBe(true);
    expect(off.some((d) => d.Dimensions?.some((x) => x.Name === 'Account'))).toBe(false);
  });

  it('refuses a malformed account id at cold start', () => {
    expect(() => loadConfig({ TRAILWATCH_ALERTS_TOPIC_ARN: TOPIC, TRAILWATCH_ORGANIZATION_ACCOUNTS: '4444' })).toThrow(/TRAILWATCH_ORGANIZATION_ACCOUNTS/);
  });
});

describe('detect handler: the packaged approvedRegions reach unused-region-activity', () => {
  const launch = () => readJson(join(EVENTS_DIR, 'unused-region-activity', 'positive-run-instances-unapproved-region.json')) as Record<string, unknown>;
  const routed = () => JSON.parse(inputTemplate('wildcard:unused-region-activity').replace('<aws.events.event.json>', JSON.stringify(launch()))) as unknown;
  const handlerWith = (approvedRegions?: { regions: string[] }) =>
    createDetectHandler({
      config,
      log: createMemoryLog(),
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      cloudWatch: new CloudWatchClient({ region: 'us-east-1' }),
      enrichers: [],
      ...(approvedRegions ? { approvedRegions } : {}),
    });

  it('fires on a launch outside the list the rule delivered, and not inside it', async () => {
    expect(await handlerWith({ regions: ['us-east-1', 'eu-west-1'] })(routed())).toMatchObject({ findings: 1, detections: ['unused-region-activity'], route: 'wildcard:unused-region-activity' });
    expect((await handlerWith({ regions: ['sa-east-1'] })(routed())).findings).toBe(0);
  });

  it('reports nothing without the list (zero configuration)', async () => {
    expect(await handlerWith()(routed())).toMatchObject({ findings: 0, detections: [] });
  });
});
