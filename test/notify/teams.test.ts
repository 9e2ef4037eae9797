import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { createNotifyHandlers, readPackagedTuning } from '../../functions/notify.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnsMessage } from '../../shared/alerts/sns-message.ts';
import type { Finding } from '../../shared/model/types.ts';
import { readNotifyConfig } from '../../shared/notify/config.ts';
import type { NotifyLog } from '../../shared/notify/notifier.ts';
import { OrganizationDirectory, type OrgSnapshot } from '../../shared/organization/directory.ts';
import { CachedDirectory } from '../../shared/organization/store.ts';
import { deployedTuningJson } from '../../shared/tuning/deployed.ts';
import { parseTuning } from '../../shared/tuning/load.ts';
import { policyFinding } from '../alerts/fixtures.ts';
import { FakeSlack } from './fake-slack.ts';
import { notifierTables } from './dynalite.ts';

/**
 * Team routing (shared/notify/teams.ts) through the real notify handler: central Slack, two team
 * Slack webhooks (real HTTP fakes), claims and digests on dynalite, OU paths from an AWS
 * Organizations snapshot and account names from the tuning file.
 */

function snsEvent(findings: Finding[]): SNSEvent {
  return {
    Records: findings.map((f, i) => {
      const m = buildSnsMessage(f);
      return {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts:sub',
        Sns: {
          Type: 'Notification',
          MessageId: `msg-${f.eventId}-${i}`,
          TopicArn: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts',
          Subject: m.Subject,
          Message: (JSON.parse(m.Message) as Record<string, string>)['lambda']!,
          Timestamp: '2026-11-20T09:00:00.000Z',
          SignatureVersion: '1',
          Signature: 'x',
          SigningCertUrl: 'https://example.invalid/cert',
          UnsubscribeUrl: 'https://example.invalid/unsub',
          MessageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes).map(([k, v]) => [k, { Type: 'String', Value: v.StringValue }])),
        },
      };
    }),
  } as SNSEvent;
}

const quiet: NotifyLog = { info() {}, warn() {}, error() {} };

const TUNING = `
version: 1
organization:
  accounts:
    - { id: '444455556666', name: 'payments-prod <!here>' }
routing:
  teams:
    - name: payments
      ous: [Workloads/Payments]
      slackWebhookParameter: /trailwatch/teams/payments
    - name: data
      accounts: ['777788889999']
      slackWebhookParameter: /trailwatch/teams/data
    - name: rogue
      accounts: ['777788889999']
      slackWebhookParameter: /other/place
`;

const SNAPSHOT: OrgSnapshot = {
  accounts: [
    { id: '444455556666', name: 'aws-name-payments', ouPath: [{ id: 'r-ab12', name: 'Root' }, { id: 'ou-ab12-11111111', name: 'Workloads' }, { id: 'ou-ab12-22222222', name: 'Payments' }] },
    { id: '777788889999', name: 'data-lake', ouPath: [{ id: 'r-ab12', name: 'Root' }, { id: 'ou-ab12-33333333', name: 'Data' }] },
  ],
  readAt: '2026-11-20T08:00:00.000Z',
  source: 'organizations',
};

/** A finding in `account`, routed as given; distinct event ids and principals per call. */
let serial = 0;
function finding(account: string, route: Finding['route'], severity: Finding['severity']): Finding {
  serial += 1;
  return policyFinding(
    {
      account,
      severity,
      route,
      routeReason: `${severity} → ${route}`,
      principal: { type: 'AssumedRole', name: `deployer-${serial}`, arn: `arn:aws:sts::${account}:assumed-role/deploy/deployer-${serial}`, mfa: false },
    },
    serial,
  );
}

describe('notify: per-account / per-OU team channels', () => {
  let central: FakeSlack;
  let payments: FakeSlack;
  let data: FakeSlack;
  const sqs = mockClient(SQSClient);
  const cw = mockClient(CloudWatchClient);
  const sns = mockClient(SNSClient);
  let now = Date.parse('2026-11-20T09:00:10Z');
  const tables = notifierTables('t');

  beforeEach(async () => {
    [central, payments, data] = await Promise.all([new FakeSlack().start(), new FakeSlack().start(), new FakeSlack().start()]);
    sqs.reset();
    cw.reset();
    sns.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    cw.on(PutMetricDataCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'p-1' });
    now = Date.parse('2026-11-20T09:00:10Z');
  });
  afterEach(async () => Promise.all([central.stop(), payments.stop(), data.stop()]));

  function handlers(directorySnapshot: OrgSnapshot | null = SNAPSHOT) {
    const config = readNotifyConfig({
      TRAILWATCH_NOTIFY_CHANNELS: 'slack',
      TRAILWATCH_SLACK_WEBHOOK_PARAMETER: '/trailwatch/slack-webhook',
      TRAILWATCH_DEDUP_TABLE: tables.dedup,
      TRAILWATCH_DIGEST_TABLE: tables.digest,
      TRAILWATCH_DIGEST_WINDOW_SECONDS: '60',
      TRAILWATCH_NOTIFY_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-ci-notify-dlq',
    });
    const tuning = parseTuning(TUNING).config;
    const directory = new CachedDirectory(directorySnapshot ? { put: async () => ({ bytes: 0 }), get: async () => directorySnapshot } : undefined, {
      declared: OrganizationDirectory.fromTuning(tuning.organization),
    });
    const urls: Record<string, string> = { '/trailwatch/teams/payments': payments.url, '/trailwatch/teams/data': data.url };
    return createNotifyHandlers(
      config,
      {
        ddb: tables.db.client,
        sns: new SNSClient({ region: 'us-east-1' }),
        sqs: new SQSClient({ region: 'us-east-1' }),
        cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
        slackUrl: async () => central.url,
        teamSlackUrl: (p) => async () => urls[p] ?? 'https://unused.invalid/',
        clock: () => now,
        sleep: async () => undefined,
        directory,
        teams: tuning.routing?.teams ?? [],
      },
      quiet,
    );
  }
  const texts = (s: FakeSlack): string[] => s.delivered().map((r) => JSON.stringify(r));

  it('a page in a team OU goes to the team AND central; names come from the tuning file, escaped', async () => {
    const h = handlers();
    await h.handler(snsEvent([finding('444455556666', 'page', 'high')]));
    expect(texts(payments)).toHaveLength(1);
    expect(texts(central)).toHaveLength(1);
    expect(texts(data)).toHaveLength(0);
    const body = texts(payments)[0]!;
    expect(body).toContain('payments-prod');
    expect(body).not.toContain('<!here>');
    expect(body).not.toContain('aws-name-payments');
  });

  it('a digest of a team account goes to the team only; an account no team owns stays central', async () => {
    const h = handlers();
    await h.handler(snsEvent([finding('444455556666', 'digest', 'medium'), finding('111122223333', 'digest', 'medium')]));
    now += 120_000;
    await h.flush();
    expect(texts(payments)).toHaveLength(1);
    expect(texts(central)).toHaveLength(1);
    expect(texts(central)[0]).toContain('111122223333');
    expect(texts(central)[0]).not.toContain('444455556666');
    expect(texts(payments)[0]).toContain('444455556666');
  });

  it("an incident's follow-ups in a team account go where its page went: the team AND central", async () => {
    const h = handlers();
    const page = finding('444455556666', 'page', 'high');
    const next = { ...finding('444455556666', 'page', 'high'), principal: page.principal };
    await h.handler(snsEvent([page, next]));
    expect(texts(payments)).toHaveLength(1);
    expect(texts(central)).toHaveLength(1);
    now += 120_000;
    await h.flush();
    expect(texts(payments)).toHaveLength(2);
    expect(texts(central)).toHaveLength(2);
    expect(texts(central)[1]).toContain('follow-ups of the incident paged at');
    expect(texts(central)[1]).toContain(next.eventId);
  });

  it('team by account id; a team whose webhook parameter is outside the allowed prefix dead-letters with the reason', async () => {
    const h = handlers();
    const stats = await h.handler(snsEvent([finding('777788889999', 'page', 'critical')]));
    expect(texts(data)).toHaveLength(1);
    expect(texts(central)).toHaveLength(1);
    expect(stats.deadLettered).toBe(1);
    const letter = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!) as { failedChannels: Array<{ channel: string; reason: string }> };
    expect(letter.failedChannels).toEqual([expect.objectContaining({ channel: 'slack-team-rogue', reason: expect.stringMatching(/outside \/trailwatch\/teams\//) })]);
  });

  it('without the directory, an OU-scoped team cannot match: its accounts go to central (never lost)', async () => {
    const h = handlers(null);
    await h.handler(snsEvent([finding('444455556666', 'digest', 'medium')]));
    now += 120_000;
    await h.flush();
    expect(texts(payments)).toHaveLength(0);
    expect(texts(central)).toHaveLength(1);
  });

  it('a redelivered SNS message does not re-post to the team channel', async () => {
    const h = handlers();
    const f = finding('444455556666', 'page', 'high');
    await h.handler(snsEvent([f]));
    await h.handler(snsEvent([f]));
    expect(texts(payments)).toHaveLength(1);
    expect(texts(central)).toHaveLength(1);
  });
});

describe('notify: the packaged tuning file', () => {
  it('reads teams and accounts from the file; an unreadable file turns team routing off with a logged problem, never the alerts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-notify-tuning-'));
    try {
      const good = join(dir, 'trailwatch.config.json');
      writeFileSync(good, deployedTuningJson(parseTuning(TUNING, 'tuning.yaml').config));
      const config = readNotifyConfig({ TRAILWATCH_NOTIFY_CHANNELS: 'slack', TRAILWATCH_SLACK_WEBHOOK_PARAMETER: '/p', TRAILWATCH_NOTIFY_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/q' });
      expect(readPackagedTuning({ TRAILWATCH_TUNING_FILE: good }, config)?.teams.map((t) => t.name)).toEqual(['payments', 'data', 'rogue']);
      expect(config.problems).toEqual([]);
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"version":1,"routing":{"teams":"nope"}}');
      expect(readPackagedTuning({ TRAILWATCH_TUNING_FILE: bad }, config)).toBeUndefined();
      expect(config.problems.join('\n')).toMatch(/routing\.teams must be a list; team routing and configured names are off/);
      expect(readPackagedTuning({ TRAILWATCH_TUNING_FILE: join(dir, 'absent.json') }, config)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
