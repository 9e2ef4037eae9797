import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SNSEvent } from 'aws-lambda';
import { createNotifyHandlers, findingsFromSns } from '../../functions/notify.ts';
import { buildAlertSnsMessage, buildSnsMessage } from '../../shared/alerts/sns-message.ts';
import type { Finding } from '../../shared/model/types.ts';
import { readNotifyConfig } from '../../shared/notify/config.ts';
import type { NotifyLog } from '../../shared/notify/notifier.ts';
import { policyFinding, rootSigninFinding } from '../alerts/fixtures.ts';
import { FakeSlack } from '../notify/fake-slack.ts';
import { notifierTables } from '../notify/dynalite.ts';

/** The SNS event Lambda receives for a message the SNS sink published (lambda protocol body). */
function snsEvent(findings: Finding[], extra: SNSEvent['Records'] = []): SNSEvent {
  const records = findings.map((f, i) => {
    const m = buildSnsMessage(f);
    const body = (JSON.parse(m.Message) as Record<string, string>)['lambda']!;
    return {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts:sub',
      Sns: {
        Type: 'Notification',
        MessageId: `msg-${i}`,
        TopicArn: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts',
        Subject: m.Subject,
        Message: body,
        Timestamp: '2026-11-20T09:00:00.000Z',
        SignatureVersion: '1',
        Signature: 'x',
        SigningCertUrl: 'https://example.invalid/cert',
        UnsubscribeUrl: 'https://example.invalid/unsub',
        MessageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes).map(([k, v]) => [k, { Type: 'String', Value: v.StringValue }])),
      },
    };
  });
  return { Records: [...records, ...extra] } as SNSEvent;
}

const log: NotifyLog & { lines: string[] } = {
  lines: [],
  info(m, e) {
    this.lines.push(`INFO ${m} ${JSON.stringify(e ?? {})}`);
  },
  warn(m, e) {
    this.lines.push(`WARN ${m} ${JSON.stringify(e ?? {})}`);
  },
  error(m, e) {
    this.lines.push(`ERROR ${m} ${JSON.stringify(e ?? {})}`);
  },
};

describe('functions/notify', () => {
  let slack: FakeSlack;
  const ssm = mockClient(SSMClient);
  const sqs = mockClient(SQSClient);
  const cw = mockClient(CloudWatchClient);
  const sns = mockClient(SNSClient);
  let now = Date.parse('2026-11-20T09:00:10Z');
  const tables = notifierTables();

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    ssm.reset();
    sqs.reset();
    cw.reset();
    sns.reset();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/trailwatch/slack-webhook', Type: 'SecureString', Value: slack.url } });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    cw.on(PutMetricDataCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'p-1' });
    log.lines = [];
    now = Date.parse('2026-11-20T09:00:10Z');
  });
  afterEach(async () => slack.stop());

  function handlers(env: Record<string, string> = {}) {
    const config = readNotifyConfig({
      TRAILWATCH_NOTIFY_CHANNELS: 'slack,email',
      TRAILWATCH_SLACK_WEBHOOK_PARAMETER: '/trailwatch/slack-webhook',
      TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts',
      TRAILWATCH_DEDUP_TABLE: tables.dedup,
      TRAILWATCH_DIGEST_TABLE: tables.digest,
      TRAILWATCH_NOTIFY_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-ci-notify-dlq',
      ...env,
    });
    return createNotifyHandlers(
      config,
      { ddb: tables.db.client, sns: new SNSClient({ region: 'us-east-1' }), sqs: new SQSClient({ region: 'us-east-1' }), cloudwatch: new CloudWatchClient({ region: 'us-east-1' }), clock: () => now, sleep: async () => undefined },
      log,
    );
  }

  it('delivers a critical finding to Slack and e-mail, reads the webhook once (decrypted), one PutMetricData per call', async () => {
    const h = handlers();
    const root = rootSigninFinding();
    const stats = await h.handler(snsEvent([root]));
    await h.handler(snsEvent([root])); // SNS redelivery
    await h.handler(snsEvent([policyFinding({ severity: 'critical' }, 9)]));
    expect(stats).toMatchObject({ alertsSent: 1, duplicates: 0 });
    expect(slack.delivered()).toHaveLength(2);
    const ssmCalls = ssm.commandCalls(GetParameterCommand);
    expect(ssmCalls).toHaveLength(1);
    expect(ssmCalls[0]?.args[0].input).toMatchObject({ Name: '/trailwatch/slack-webhook', WithDecryption: true });
    const emails = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(emails).toHaveLength(2);
    expect(emails[0]).toMatchObject({ Subject: '[CRITICAL] root signed in without MFA in 111122223333', MessageStructure: 'json' });
    expect(emails[0]?.MessageAttributes?.['kind']?.StringValue).toBe('alert');
    const metrics = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
    expect(metrics).toHaveLength(3);
    expect(metrics[0]?.Namespace).toBe('Trailwatch');
    const sent = (i: number, name: string) => metrics[i]?.MetricData?.find((d) => d.MetricName === name)?.Value;
    expect(sent(0, 'AlertsSent')).toBe(1);
    expect(sent(1, 'DuplicatesSuppressed')).toBe(1);
    expect(log.lines.join('\n')).not.toContain('secret-token');
  });

  it('permanent Slack failure: the alert is sent to the notifier DLQ with SQS SendMessage and counted', async () => {
    slack.decide = () => ({ status: 503 });
    const h = handlers({ TRAILWATCH_NOTIFY_CHANNELS: 'slack' });
    const stats = await h.handler(snsEvent([rootSigninFinding()]));
    expect(stats).toMatchObject({ deliveriesFailed: 1, deadLettered: 1 });
    const sends = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sends).toHaveLength(1);
    expect(sends[0]?.QueueUrl).toContain('notify-dlq');
    const letter = JSON.parse(sends[0]!.MessageBody!) as { alert: { kind: string }; failedChannels: Array<{ channel: string; status: number }> };
    expect(letter.alert.kind).toBe('finding');
    expect(letter.failedChannels[0]).toMatchObject({ channel: 'slack', status: 503 });
    expect(sends[0]!.MessageBody).not.toContain('secret-token');
    const metrics = cw.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData;
    expect(metrics?.find((d) => d.MetricName === 'DeliveriesFailed')?.Value).toBe(1);
  });

  it('when SQS is down too, the invocation fails (Lambda retries, then its on-failure destination)', async () => {
    slack.decide = () => ({ status: 500 });
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    const h = handlers({ TRAILWATCH_NOTIFY_CHANNELS: 'slack' });
    await expect(h.handler(snsEvent([rootSigninFinding()]))).rejects.toThrow('AccessDenied');
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(1); // metrics still flushed
  });

  it('bad SNS input is rejected with a reason and counted, never thrown; its own kind=alert output is ignored', async () => {
    const h = handlers();
    const alertMsg = buildAlertSnsMessage({ kind: 'finding', finding: rootSigninFinding() });
    const junk = [
      { Sns: { MessageId: 'j1', Message: 'not json {', MessageAttributes: {} } },
      { Sns: { MessageId: 'j2', Message: '{"hello":1}', MessageAttributes: {} } },
      { Sns: { MessageId: 'j3', MessageAttributes: {} } },
      { Sns: { MessageId: 'own', Message: alertMsg.Message, MessageAttributes: { kind: { Type: 'String', Value: 'alert' } } } },
    ] as unknown as SNSEvent['Records'];
    const stats = await h.handler(snsEvent([], junk));
    expect(stats).toMatchObject({ rejected: 3, alertsSent: 0 });
    expect(log.lines.filter((l) => l.startsWith('ERROR SNS message rejected'))).toHaveLength(3);
    expect(log.lines.join('\n')).toContain('not a Trailwatch finding');
    expect(await h.handler({} as SNSEvent)).toMatchObject({ rejected: 0 });
    expect(findingsFromSns(null as unknown as SNSEvent).findings).toEqual([]);
  });

  it('non-critical findings wait for the scheduled flush, which sends one digest (Slack + e-mail)', async () => {
    const h = handlers();
    const burst = Array.from({ length: 20 }, (_, i) => policyFinding({ severity: 'medium' }, i));
    const stats = await h.handler(snsEvent(burst));
    expect(stats).toMatchObject({ grouped: 20, alertsSent: 0 });
    expect(slack.requests).toHaveLength(0);
    now += 10 * 60_000;
    const flushed = await h.flush();
    expect(flushed).toMatchObject({ digests: 1, alertsSent: 1 });
    expect(String(slack.delivered()[0]?.['text'])).toContain('20 policy-changed findings');
    const email = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(email?.Subject).toBe('[MEDIUM] 20 findings: policy changed on user ci-deployer; ... by terraform in 111122223333');
    const digestMetric = cw.commandCalls(PutMetricDataCommand)[1]?.args[0].input.MetricData?.find((d) => d.MetricName === 'Digests');
    expect(digestMetric?.Value).toBe(1);
  });

  it('chatbot mode publishes the custom-notification JSON to the Chatbot topic', async () => {
    const h = handlers({ TRAILWATCH_NOTIFY_CHANNELS: 'chatbot', TRAILWATCH_CHATBOT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-chatbot' });
    await h.handler(snsEvent([rootSigninFinding()]));
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe('arn:aws:sns:us-east-1:111122223333:trailwatch-ci-chatbot');
    expect(JSON.parse(input!.Message!)).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(slack.requests).toHaveLength(0);
  });

  it('misconfiguration is reported and the alert dead-lettered, not dropped', async () => {
    const h = handlers({ TRAILWATCH_NOTIFY_CHANNELS: 'chatbot', TRAILWATCH_DIGEST_WINDOW_SECONDS: 'soon' });
    const stats = await h.handler(snsEvent([rootSigninFinding()]));
    expect(stats.deadLettered).toBe(1);
    expect(log.lines.join('\n')).toContain('chatbot channel without TRAILWATCH_CHATBOT_TOPIC_ARN');
    expect(log.lines.join('\n')).toContain("TRAILWATCH_DIGEST_WINDOW_SECONDS='soon'");
  });

  it('a webhook parameter holding a non-https URL is refused (alert dead-lettered)', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/trailwatch/slack-webhook', Type: 'SecureString', Value: 'http://hooks.slack.com/services/x' } });
    const h = handlers({ TRAILWATCH_NOTIFY_CHANNELS: 'slack' });
    const stats = await h.handler(snsEvent([rootSigninFinding()]));
    expect(stats.deadLettered).toBe(1);
    const body = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '';
    expect(body).toContain('must use https');
  });

  it('redrive re-sends dead letters to the channels that failed only, deletes them when they get through', async () => {
    const h = handlers();
    slack.decide = () => ({ status: 500 });
    await h.handler(snsEvent([rootSigninFinding()]));
    const body = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!;
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1); // e-mail got it the first time
    slack.decide = undefined; // Slack is back
    sqs.on(ReceiveMessageCommand).resolvesOnce({
      Messages: [
        { MessageId: 'm1', ReceiptHandle: 'r1', Body: body },
        { MessageId: 'm2', ReceiptHandle: 'r2', Body: '{"not":"a letter"}' },
      ],
    }).resolves({ Messages: [] });
    sqs.on(DeleteMessageCommand).resolves({});
    const stats = await h.redrive();
    expect(stats).toEqual({ redriven: 1, stillFailing: 0, unreadable: 1, possibleDuplicates: 0, leftForNextRun: 0 });
    expect(slack.delivered()).toHaveLength(1);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1); // not e-mailed twice
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual(['r1']);
  });

  it('redrive leaves a letter in the DLQ while the channel still fails', async () => {
    const h = handlers({ TRAILWATCH_NOTIFY_CHANNELS: 'slack' });
    slack.decide = () => ({ status: 500 });
    await h.handler(snsEvent([rootSigninFinding()]));
    const body = sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!;
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: body }] }).resolves({ Messages: [] });
    const stats = await h.redrive({ maxMessages: 5 });
    expect(stats).toEqual({ redriven: 0, stillFailing: 1, unreadable: 0, possibleDuplicates: 0, leftForNextRun: 0 });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });
});

describe('notifier timing settings in serverless.yml', () => {
  it('claim outlives the notify timeout and expires before Lambda retries (timeout < claim < timeout + 60 s); sending stops 20 s early', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('../helpers/events.ts');
    const { DELIVERY_MARGIN_MS } = await import('../../functions/notify.ts');
    const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    const notifyBlock = yml.slice(yml.indexOf('\n  notify:\n'), yml.indexOf('\n  notifyFlush:\n'));
    const timeout = Number(/\n {4}timeout: (\d+)/.exec(notifyBlock)?.[1]);
    const claim = Number(/TRAILWATCH_CLAIM_SECONDS: '?(\d+)'?/.exec(notifyBlock)?.[1]);
    expect(timeout).toBeGreaterThan(0);
    expect(claim).toBeGreaterThan(timeout);
    expect(claim).toBeLessThan(timeout + 60);
    expect(readNotifyConfig({ TRAILWATCH_CLAIM_SECONDS: String(claim) }).claimMs).toBe(claim * 1000);
    expect(DELIVERY_MARGIN_MS).toBeLessThan(timeout * 1000 / 2);
  });
});
