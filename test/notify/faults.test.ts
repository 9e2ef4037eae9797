import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { buildChannels, createNotifyHandlers, type NotifyClients } from '../../functions/notify.ts';
import type { Finding } from '../../shared/model/types.ts';
import { readNotifyConfig } from '../../shared/notify/config.ts';
import { DedupStore, type ClaimStore } from '../../shared/notify/dedup-store.ts';
import { emptyStats } from '../../shared/notify/metrics.ts';
import { Notifier, type NotifyLog } from '../../shared/notify/notifier.ts';
import { redriveDeadLetters } from '../../shared/notify/redrive.ts';
import { SqsDeadLetterQueue } from '../../shared/notify/dead-letter.ts';
import { DEFAULT_RETRY } from '../../shared/notify/webhook.ts';
import { rootSigninFinding } from '../alerts/fixtures.ts';
import { rng } from '../helpers/rng.ts';
import { FakeSlack, type FakeReply } from './fake-slack.ts';
import { startDynalite, type LocalDynamo } from './dynalite.ts';

/**
 * The fault table of docs/alerts.md ("Delivery semantics"): every Slack fault the issue measured,
 * against a real HTTP fake on 127.0.0.1, through the real notify handler, with DynamoDB claims on
 * dynalite, Lambda's async retries (1 and then 2 minutes after a failure, the invocation killed at
 * its 120 s timeout) and the DLQ + redrive simulated. Time is virtual: the fake "answers in 9.5 s" by
 * advancing the test's clock, a hang is ended by aborting the attempt, so no test waits real seconds
 * and a loaded machine gives the same numbers. Per scenario it counts, per alert, the copies Slack
 * posted, e-mails published, and whether it went through a dead-letter queue; lost (no copy and no
 * letter left anywhere) must be 0 and extra copies never more than the notifier counted as possible.
 */

const FUNCTION_TIMEOUT_MS = 120_000;
const REDRIVE_TIMEOUT_MS = 300_000;
const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000];
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/111122223333/trailwatch-ci-notify-dlq';

class LambdaKilled extends Error {
  constructor() {
    super('Task timed out after 120.00 seconds');
    this.name = 'LambdaKilled';
  }
}

/** The test's clock; `killAt` is when the current invocation hits its timeout. */
class VirtualClock {
  t = Date.parse('2026-11-20T09:00:00Z');
  killAt = Number.POSITIVE_INFINITY;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }
  killed = (): boolean => this.t >= this.killAt;
  sleep = async (ms: number): Promise<void> => {
    this.advance(ms);
    if (this.killed()) throw new LambdaKilled();
  };
}

interface Scenario {
  name: string;
  /** The fake's answer to attempt `k` (1-based, per alert) while the fault lasts; undefined = healthy. */
  reply: (k: number, random: () => number) => FakeReply | undefined;
  /** True when an attempt's answer can be lost after Slack posted: duplicates are allowed (and counted). */
  ambiguous?: boolean;
  /** SQS (the DLQ) refuses every write while the fault lasts. */
  sqsDown?: boolean;
  alerts?: number;
}

const RANDOM_FAULTS: Array<[number, FakeReply | undefined]> = [
  [0.45, undefined],
  [0.08, { status: 429, headers: { 'retry-after': '1' } }],
  [0.05, { status: 429, headers: { 'retry-after': '20' }, delayMs: 9_000 }],
  [0.08, { status: 500 }],
  [0.06, { status: 200, delayMs: 3_000 }],
  [0.05, { status: 200, delayMs: 10_500 }],
  [0.05, { status: 200, fault: 'late' }],
  [0.06, { status: 200, fault: 'resetBefore' }],
  [0.05, { status: 200, fault: 'resetAfter' }],
  [0.07, { status: 200, fault: 'hang' }],
];

function pick(random: () => number): FakeReply | undefined {
  let x = random();
  for (const [weight, reply] of RANDOM_FAULTS) {
    if (x < weight) return reply;
    x -= weight;
  }
  return undefined;
}

const SCENARIOS: Scenario[] = [
  { name: '429 Retry-After 20, each answer after 9 s (until redrive)', reply: () => ({ status: 429, headers: { 'retry-after': '20' }, delayMs: 9_000 }) },
  { name: '429 without Retry-After (first 3 attempts)', reply: (k) => (k <= 3 ? { status: 429 } : undefined) },
  { name: '5xx (500, 503, then fine)', reply: (k) => (k === 1 ? { status: 500 } : k === 2 ? { status: 503 } : undefined) },
  { name: '5xx every attempt (until redrive)', reply: () => ({ status: 503 }) },
  { name: 'answer after 9.5 s (just under the 10 s timeout)', reply: () => ({ status: 200, delayMs: 9_500 }) },
  { name: 'answer after 10.5 s on the first attempt (just over)', reply: (k) => (k === 1 ? { status: 200, delayMs: 10_500 } : undefined), ambiguous: true },
  { name: 'answer after 10.5 s every attempt', reply: () => ({ status: 200, delayMs: 10_500 }), ambiguous: true },
  { name: 'posted, answer never comes, every attempt', reply: () => ({ status: 200, fault: 'late' }), ambiguous: true },
  { name: 'reset before the post (first attempt)', reply: (k) => (k === 1 ? { status: 200, fault: 'resetBefore' } : undefined) },
  { name: 'reset after the post (first attempt)', reply: (k) => (k === 1 ? { status: 200, fault: 'resetAfter' } : undefined), ambiguous: true },
  { name: 'hang, never posted (until redrive)', reply: () => ({ status: 200, fault: 'hang' }) },
  { name: 'SQS down; Slack 500 in the first invocation', reply: (k) => (k <= DEFAULT_RETRY.maxAttempts ? { status: 500 } : undefined), sqsDown: true },
  { name: 'SQS down; Slack 500 in every invocation', reply: () => ({ status: 500 }), sqsDown: true },
  { name: 'random mix (seed 9, 12 alerts)', reply: (_k, random) => pick(random), ambiguous: true, alerts: 12 },
];

interface Row {
  scenario: string;
  alerts: number;
  deliveredOnce: number;
  duplicated: number;
  extraCopies: number;
  countedPossible: number;
  lost: number;
  deadLettered: number;
  emailsPerAlert: string;
  timeouts: number;
}

const quiet: NotifyLog = process.env["FAULTS_DEBUG"] ? { info: () => undefined, warn: (m, e) => console.log("WARN", m, JSON.stringify(e)), error: (m, e) => console.log("ERROR", m, JSON.stringify(e)) } : { info: () => undefined, warn: () => undefined, error: () => undefined };

function snsEvent(finding: Finding): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts:sub',
        Sns: {
          Type: 'Notification',
          MessageId: `msg-${finding.eventId}`,
          TopicArn: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts',
          Subject: 'x',
          Message: JSON.stringify(finding),
          Timestamp: '2026-11-20T09:00:00.000Z',
          SignatureVersion: '1',
          Signature: 'x',
          SigningCertUrl: 'https://example.invalid/cert',
          UnsubscribeUrl: 'https://example.invalid/unsub',
          MessageAttributes: { kind: { Type: 'String', Value: 'finding' } },
        },
      },
    ],
  } as SNSEvent;
}

/** Old behaviour, for the "before" column: no deadline, 5-minute claims, no record of sent channels, unlimited unconfirmed retries. */
class ForgetfulClaims implements ClaimStore {
  constructor(private readonly inner: DedupStore) {}
  async claim(key: string, now: number) {
    const r = await this.inner.claim(key, now);
    return r.status === 'claimed' ? { status: 'claimed' as const, sent: [] } : r;
  }
  async markSent(): Promise<void> {}
  complete(key: string, now: number, outcome: 'delivered' | 'digested' | 'dead-lettered' | 'recorded') {
    return this.inner.complete(key, now, outcome);
  }
  release(key: string) {
    return this.inner.release(key);
  }
}

describe('alert delivery under faults (fake Slack on 127.0.0.1, virtual time, simulated Lambda retries + DLQ redrive)', () => {
  let db: LocalDynamo;
  let tables = 0;
  const sqs = mockClient(SQSClient);
  const sns = mockClient(SNSClient);
  const cw = mockClient(CloudWatchClient);
  const rows: Record<'after' | 'before', Row[]> = { after: [], before: [] };

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.stop();
    const format = (title: string, list: Row[]): string => {
      const head = ['scenario', 'alerts', 'delivered once', 'duplicated', 'extra copies', 'counted possible dup', 'lost', 'dead-lettered', 'e-mails/alert', 'timeouts'];
      const lines = list.map((r) => [r.scenario, r.alerts, r.deliveredOnce, r.duplicated, r.extraCopies, r.countedPossible, r.lost, r.deadLettered, r.emailsPerAlert, r.timeouts].join(' | '));
      return [`\n${title}`, `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l} |`)].join('\n');
    };
    if (rows.after.length > 0) process.stdout.write(`${format('FAULT TABLE (after: this code)', rows.after)}\n`);
    if (rows.before.length > 0) process.stdout.write(`${format('FAULT TABLE (before: old settings emulated)', rows.before)}\n`);
  });

  async function run(scenario: Scenario, mode: 'after' | 'before'): Promise<Row> {
    const clock = new VirtualClock();
    const random = rng(9);
    const slack = await new FakeSlack().start();
    const table = `t${++tables}`;
    await db.createTable(`${table}-dedup`);
    await db.createTable(`${table}-digest`);
    const ddb = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
    // A killed invocation does nothing more: every AWS call after the timeout fails.
    ddb.middlewareStack.add(
      (next) => async (args) => {
        if (clock.killed()) throw new LambdaKilled();
        return next(args);
      },
      { step: 'initialize', name: 'lambdaKillSwitch' },
    );
    let faulty = true;
    const attemptsOf = new Map<string, number>();
    // Independent alerts: each its own account, so each opens its own incident and pages (one page per incident, docs/alerts.md).
    const alerts = Array.from({ length: scenario.alerts ?? 3 }, (_, i) => {
      const account = String(111122223300 + i);
      const root = rootSigninFinding();
      return { ...root, account, principal: { ...root.principal, arn: `arn:aws:iam::${account}:root` }, eventId: `evt-${tables}-${String(i).padStart(3, "0")}-end` };
    });
    slack.decide = (_n, body) => {
      const id = alerts.find((a) => body.includes(a.eventId))?.eventId ?? '?';
      const k = (attemptsOf.get(id) ?? 0) + 1;
      attemptsOf.set(id, k);
      return faulty ? scenario.reply(k, random) : undefined;
    };
    let abortCurrent: (() => void) | undefined;
    slack.onDelay = (ms) => clock.advance(ms);
    slack.onHang = () => setImmediate(() => abortCurrent?.());
    slack.refuse = () => clock.killed();
    const timeoutSignal = (ms: number): AbortSignal => {
      const started = clock.now();
      const controller = new AbortController();
      abortCurrent = () => {
        clock.advanceTo(started + ms);
        controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
      };
      return controller.signal;
    };

    // The DLQ: an in-memory SQS queue (SendMessage / ReceiveMessage / DeleteMessage).
    const queue: Array<{ id: string; body: string; receipt?: string }> = [];
    const everLettered = new Set<string>();
    let messageIds = 0;
    sqs.reset();
    sqs.on(SendMessageCommand).callsFake((input: { MessageBody?: string }) => {
      if (clock.killed()) throw new LambdaKilled();
      if (scenario.sqsDown && faulty) throw Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' });
      const body = input.MessageBody ?? '';
      queue.push({ id: `m${++messageIds}`, body });
      for (const a of alerts) if (body.includes(a.eventId)) everLettered.add(a.eventId);
      return { MessageId: `m${messageIds}` };
    });
    sqs.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number }) => {
      const ready = queue.filter((m) => m.receipt === undefined).slice(0, input.MaxNumberOfMessages ?? 1);
      for (const m of ready) m.receipt = `r-${m.id}`;
      return { Messages: ready.map((m) => ({ MessageId: m.id, Body: m.body, ReceiptHandle: m.receipt })) };
    });
    sqs.on(DeleteMessageCommand).callsFake((input: { ReceiptHandle?: string }) => {
      const i = queue.findIndex((m) => m.receipt === input.ReceiptHandle);
      if (i >= 0) queue.splice(i, 1);
      return {};
    });
    const emails = new Map<string, number>();
    sns.reset();
    sns.on(PublishCommand).callsFake((input: { Message?: string }) => {
      if (clock.killed()) throw new LambdaKilled();
      for (const a of alerts) if ((input.Message ?? '').includes(a.eventId)) emails.set(a.eventId, (emails.get(a.eventId) ?? 0) + 1);
      return { MessageId: 'p' };
    });
    let countedPossible = 0;
    cw.reset();
    cw.on(PutMetricDataCommand).callsFake((input: { MetricData?: Array<{ MetricName?: string; Value?: number }> }) => {
      countedPossible += input.MetricData?.find((d) => d.MetricName === 'AlertsPossiblyDuplicated')?.Value ?? 0;
      return {};
    });

    const config = readNotifyConfig({
      TRAILWATCH_NOTIFY_CHANNELS: 'slack,email',
      TRAILWATCH_SLACK_WEBHOOK_PARAMETER: '/trailwatch/slack-webhook',
      TRAILWATCH_ALERTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trailwatch-ci-alerts',
      TRAILWATCH_DEDUP_TABLE: `${table}-dedup`,
      TRAILWATCH_DIGEST_TABLE: `${table}-digest`,
      TRAILWATCH_NOTIFY_DLQ_URL: DLQ_URL,
    });
    const legacyRetry = { ...DEFAULT_RETRY, retryTimeoutMs: DEFAULT_RETRY.timeoutMs, maxUnconfirmed: DEFAULT_RETRY.maxAttempts + 1, minAttemptMs: 0 };
    const clients: NotifyClients = {
      ddb,
      sns: new SNSClient({ region: 'us-east-1' }),
      sqs: new SQSClient({ region: 'us-east-1' }),
      cloudwatch: new CloudWatchClient({ region: 'us-east-1' }),
      slackUrl: async () => slack.url,
      clock: clock.now,
      sleep: clock.sleep,
      delivery: { timeoutSignal },
      ...(mode === 'before' ? { retry: legacyRetry } : {}),
    };
    const handlers = createNotifyHandlers(config, clients, quiet);
    const legacyChannels = buildChannels(config, clients);
    const legacy = new Notifier({
      channels: legacyChannels,
      deadLetters: new SqsDeadLetterQueue(clients.sqs, DLQ_URL),
      dedup: new ForgetfulClaims(new DedupStore(ddb, `${table}-dedup`, { inProgressMs: 300_000, retentionMs: 72 * 3600_000 })),
      clock: clock.now,
      log: quiet,
    });

    let timeouts = 0;
    const failureQueue = new Set<string>();
    for (const alert of alerts) {
      for (let attempt = 0; attempt <= LAMBDA_RETRY_DELAYS_MS.length; attempt++) {
        const started = clock.now();
        clock.killAt = started + FUNCTION_TIMEOUT_MS;
        const context = { getRemainingTimeInMillis: () => clock.killAt - clock.now() };
        let failed = false;
        try {
          if (mode === 'after') await handlers.handler(snsEvent(alert), context);
          else await legacy.handle([alert], emptyStats());
        } catch {
          failed = true;
        }
        if (clock.now() >= clock.killAt) {
          timeouts += 1;
          failed = true;
        }
        clock.killAt = Number.POSITIVE_INFINITY;
        if (!failed) break;
        if (attempt === LAMBDA_RETRY_DELAYS_MS.length) failureQueue.add(alert.eventId); // Lambda's on-failure destination
        else clock.advance(LAMBDA_RETRY_DELAYS_MS[attempt]!);
      }
      clock.advance(10 * 60_000);
    }

    // The fault clears; an operator (or the runbook) redrives the DLQ.
    faulty = false;
    if (mode === 'after') {
      // notifyRedrive runs with its own 300 s timeout (and the same kill switch).
      clock.killAt = clock.now() + REDRIVE_TIMEOUT_MS;
      const r = await handlers.redrive({ maxMessages: 100 }, { getRemainingTimeInMillis: () => clock.killAt - clock.now() });
      if (clock.now() >= clock.killAt) timeouts += 1;
      clock.killAt = Number.POSITIVE_INFINITY;
      countedPossible += r.possibleDuplicates;
      expect(r.leftForNextRun).toBe(0);
    } else await redriveDeadLetters(clients.sqs, DLQ_URL, legacyChannels, quiet, 100);
    // The runbook for Lambda's on-failure queue: re-publish each record's SNS message to the alerts
    // topic, i.e. one more notify invocation per alert (channels that accepted it are skipped).
    for (const alert of alerts.filter((a) => failureQueue.has(a.eventId))) {
      clock.killAt = clock.now() + FUNCTION_TIMEOUT_MS;
      try {
        if (mode === 'after') await handlers.handler(snsEvent(alert), { getRemainingTimeInMillis: () => clock.killAt - clock.now() });
        else await legacy.handle([alert], emptyStats());
      } catch {
        // still failing: the record stays in the failure queue (counted as waiting, not lost)
      }
      clock.killAt = Number.POSITIVE_INFINITY;
    }
    await slack.stop();
    ddb.destroy();

    const row: Row = { scenario: scenario.name, alerts: alerts.length, deliveredOnce: 0, duplicated: 0, extraCopies: 0, countedPossible, lost: 0, deadLettered: 0, emailsPerAlert: '', timeouts };
    const emailCounts = new Set<number>();
    for (const a of alerts) {
      const copies = slack.requests.filter((r) => r.posted && r.body.includes(a.eventId)).length;
      const waiting = queue.some((m) => m.body.includes(a.eventId)) || (failureQueue.has(a.eventId) && copies === 0);
      if (copies === 1) row.deliveredOnce += 1;
      if (copies > 1) {
        row.duplicated += 1;
        row.extraCopies += copies - 1;
      }
      if (copies === 0 && !waiting) row.lost += 1;
      if (everLettered.has(a.eventId) || failureQueue.has(a.eventId)) row.deadLettered += 1;
      emailCounts.add(emails.get(a.eventId) ?? 0);
    }
    row.emailsPerAlert = [...emailCounts].sort().join('/');
    rows[mode].push(row);
    return row;
  }

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: 0 lost, no timeout, e-mail once, duplicates only when Slack's answer was lost (and counted)`, async () => {
      const row = await run(scenario, 'after');
      expect(row.lost).toBe(0);
      // Nothing is left waiting either: after the redrive and the failure-queue re-publish, every alert is in Slack.
      expect(row.deliveredOnce + row.duplicated).toBe(row.alerts);
      expect(row.timeouts).toBe(0);
      expect(row.emailsPerAlert).toBe('1');
      expect(row.extraCopies).toBeLessThanOrEqual(row.countedPossible);
      if (!scenario.ambiguous) expect(row.extraCopies).toBe(0);
      // Bounded: per delivery run at most maxUnconfirmed copies, plus one per redrive.
      expect(row.extraCopies).toBeLessThanOrEqual(row.alerts * DEFAULT_RETRY.maxUnconfirmed);
    });
  }

  it('the harness catches the old behaviour: lost alerts after a slow 429, five posts of one alert, e-mails repeated while SQS is down', async () => {
    const slow429 = await run(SCENARIOS[0]!, 'before');
    expect(slow429.lost).toBeGreaterThan(0);
    expect(slow429.timeouts).toBeGreaterThan(0);
    const late = await run(SCENARIOS.find((s) => s.name.startsWith('posted, answer never comes'))!, 'before');
    expect(late.extraCopies).toBeGreaterThan(late.alerts * DEFAULT_RETRY.maxUnconfirmed);
    const sqsDown = await run(SCENARIOS.find((s) => s.name.startsWith('SQS down; Slack 500 in every'))!, 'before');
    expect(sqsDown.emailsPerAlert).not.toBe('1');
  });
});
