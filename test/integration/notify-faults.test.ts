import { randomUUID } from 'node:crypto';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createNotifyHandlers } from '../../functions/notify.ts';
import { detections } from '../../shared/detections/index.ts';
import { silentLog } from '../../shared/log.ts';
import type { Finding } from '../../shared/model/types.ts';
import { readNotifyConfig } from '../../shared/notify/config.ts';
import { parseDeadLetter } from '../../shared/notify/redrive.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { SnsSink } from '../../shared/sinks/sns.ts';
import { readJson, EVENTS_DIR } from '../helpers/events.ts';
import { type FakeSlack, startFakeSlack } from '../notify/fake-slack.ts';
import { join } from 'node:path';
import { type DeployedFunction, type DeployedStack, clientConfig, deployPackagedStack, depth, drain, invokeAsync, motoAccount, queueUrlOf, snsEventFromEnvelope, withFunctionEnvironment } from './moto-stack.ts';

// The notifier's fault scenarios on the deployed stack: Slack rate-limits or fails; what
// cannot be delivered is read back from the REAL notify DLQ (SQS in moto), and the redrive
// function moves it out once Slack works again. Backoff sleeps are recorded, not waited.

const endpoint = inject('motoEndpoint');
/** Why the tier is skipped here (moto not installed), shown in the suite title. */
const unavailable = inject('motoUnavailable');

describe.skipIf(!endpoint)(`moto: notifier faults with real SQS dead-letter queues${unavailable ? ` (${unavailable})` : ''}`, () => {
  let stack: DeployedStack;
  let slack: FakeSlack;
  let notifyFn: DeployedFunction;
  let dlqUrl: string;
  let mailboxUrl: string;
  let sink: SnsSink;
  let handlers: ReturnType<typeof createNotifyHandlers>;
  const waits: number[] = [];
  /** A critical finding from a real sample (critical: sent at once, never digested). */
  let template: Finding;

  beforeAll(async () => {
    const account = await motoAccount(endpoint);
    stack = await deployPackagedStack(account);
    notifyFn = stack.functions.get('functions/notify.handler')!;
    slack = await startFakeSlack();
    await new SSMClient(clientConfig(account)).send(
      new PutParameterCommand({ Name: notifyFn.environment['TRAILWATCH_SLACK_WEBHOOK_PARAMETER'], Type: 'SecureString', Value: slack.url, Overwrite: true }),
    );
    dlqUrl = notifyFn.environment['TRAILWATCH_NOTIFY_DLQ_URL']!;
    mailboxUrl = stack.subscriptionEndpoints.get('AlertsEmailSubscription')!;
    sink = new SnsSink(new SNSClient(clientConfig(account)), notifyFn.environment['TRAILWATCH_ALERTS_TOPIC_ARN']!, silentLog);
    handlers = await createNotifyHandlersFor(notifyFn.environment);
    const run = runDetections([{ value: readJson(join(EVENTS_DIR, 'root-signin', 'positive-success-no-mfa.json')) }], detections);
    template = run.findings.find((f) => f.severity === 'critical')!;
    expect(template).toBeDefined();
  });

  afterAll(async () => {
    await slack?.stop();
  });

  beforeEach(async () => {
    slack.requests.length = 0;
    slack.decide = undefined;
    waits.length = 0;
    await drain(stack.sqs, mailboxUrl);
  });

  let accounts = 0;
  /**
   * A new finding of the template in an account of its own: each test's alert opens its own
   * incident (one page per detection, account and principal; docs/alerts.md "No page storms").
   */
  function fresh(): Finding {
    accounts += 1;
    const account = String(210000000000 + accounts);
    return { ...template, eventId: randomUUID(), account, principal: { ...template.principal, arn: `arn:aws:iam::${account}:root` } };
  }

  /** Publishes one new finding through the real SNS sink and runs the notifier on what its subscription delivered. */
  async function notify(): Promise<{ finding: Finding; result: Awaited<ReturnType<typeof invokeAsync>> }> {
    const finding: Finding = fresh();
    await sink.publish([finding]);
    const delivered = await drain(stack.sqs, notifyFn.queueUrl);
    expect(delivered).toHaveLength(1);
    const result = await withFunctionEnvironment(stack, notifyFn, () =>
      invokeAsync(stack, notifyFn, (event) => handlers.handler(event as SNSEvent), snsEventFromEnvelope(delivered[0]!.Body ?? '')),
    );
    return { finding, result };
  }

  const mails = async () => (await drain(stack.sqs, mailboxUrl)).map((m) => JSON.parse(m.Body ?? '{}') as { Message: string });

  it('Slack 429 with Retry-After: waits as told, then delivers once; nothing in the DLQ', async () => {
    slack.decide = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : undefined);
    const { finding, result } = await notify();
    expect(result.ok).toBe(true);
    expect(slack.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(waits).toEqual([2000]);
    expect(slack.delivered().filter((b) => JSON.stringify(b).includes(finding.eventId))).toHaveLength(1);
    expect(await depth(stack.sqs, dlqUrl)).toBe(0);
    expect(await mails()).toHaveLength(1);
  });

  it('Slack 5xx on every attempt: the alert lands in the real DLQ with the reason, e-mail still goes; redrive delivers it once Slack is back', async () => {
    slack.decide = () => ({ status: 503, body: 'unavailable' });
    const { finding, result } = await notify();
    // Dead-lettered is handled: the invocation succeeds, Lambda does not retry it.
    expect(result).toMatchObject({ ok: true, attempts: 1 });
    expect(slack.requests.length).toBeGreaterThan(1);
    expect(slack.requests.every((r) => r.status === 503)).toBe(true);
    expect(await mails()).toHaveLength(1);
    const letters = await drain(stack.sqs, dlqUrl, { keep: true });
    expect(letters).toHaveLength(1);
    const letter = parseDeadLetter(letters[0]!.Body);
    if (typeof letter === 'string') throw new Error(letter);
    expect(letter.alert).toMatchObject({ kind: 'finding', finding: { eventId: finding.eventId, detection: finding.detection } });
    expect(letter.failedChannels.map((c) => c.channel)).toEqual(['slack']);
    expect(letter.failedChannels[0]!.reason).toMatch(/503/);
    // Slack is back: the redrive function sends it to Slack only (e-mail already had it) and empties the DLQ.
    slack.decide = undefined;
    slack.requests.length = 0;
    expect(await withFunctionEnvironment(stack, notifyFn, () => handlers.redrive({}))).toMatchObject({ redriven: 1, stillFailing: 0, unreadable: 0 });
    expect(slack.delivered().filter((b) => JSON.stringify(b).includes(finding.eventId))).toHaveLength(1);
    expect(await mails()).toHaveLength(0);
    expect(await depth(stack.sqs, dlqUrl)).toBe(0);
  });

  it('Slack 429 asking to wait longer than the notifier may: dead-lettered at once with the reason', async () => {
    slack.decide = () => ({ status: 429, headers: { 'retry-after': '3600' } });
    const { finding, result } = await notify();
    expect(result.ok).toBe(true);
    expect(slack.requests).toHaveLength(1);
    const letters = await drain(stack.sqs, dlqUrl, { keep: true });
    expect(letters).toHaveLength(1);
    const letter = parseDeadLetter(letters[0]!.Body);
    if (typeof letter === 'string') throw new Error(letter);
    expect(letter.alert).toMatchObject({ kind: 'finding', finding: { eventId: finding.eventId } });
    expect(letter.failedChannels[0]).toMatchObject({ channel: 'slack', status: 429 });
    // A redrive while Slack still refuses keeps the letter (in flight until its visibility timeout ends, then back).
    expect(await withFunctionEnvironment(stack, notifyFn, () => handlers.redrive({}))).toMatchObject({ redriven: 0, stillFailing: 1 });
    expect(await depth(stack.sqs, dlqUrl, { inFlight: true })).toBe(1);
    await stack.sqs.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
  });

  it('a repeated SNS delivery of an alerted finding is suppressed (dedup table in DynamoDB): Slack once', async () => {
    const finding: Finding = fresh();
    await sink.publish([finding]);
    await sink.publish([finding]);
    const delivered = await drain(stack.sqs, notifyFn.queueUrl);
    expect(delivered).toHaveLength(2);
    const stats = [];
    for (const m of delivered) stats.push(await withFunctionEnvironment(stack, notifyFn, () => handlers.handler(snsEventFromEnvelope(m.Body ?? '') as unknown as SNSEvent)));
    expect(stats.map((s) => [s.alertsSent, s.duplicates])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(slack.delivered().filter((b) => JSON.stringify(b).includes(finding.eventId))).toHaveLength(1);
  });

  it('when the DLQ itself is unreachable the invocation fails, Lambda retries, and the event lands in the real on-failure queue', async () => {
    slack.decide = () => ({ status: 500 });
    const saved = notifyFn.environment['TRAILWATCH_NOTIFY_DLQ_URL']!;
    const broken = createNotifyHandlersFor({ ...notifyFn.environment, TRAILWATCH_NOTIFY_DLQ_URL: saved.replace(/[^/]+$/, 'no-such-queue') });
    const finding: Finding = fresh();
    await sink.publish([finding]);
    const delivered = await drain(stack.sqs, notifyFn.queueUrl);
    const result = await withFunctionEnvironment(stack, notifyFn, async () =>
      invokeAsync(stack, notifyFn, async (event) => (await broken).handler(event as SNSEvent), snsEventFromEnvelope(delivered[0]!.Body ?? '')),
    );
    expect(result.ok).toBe(false);
    expect(result.attempts).toBe((notifyFn.spec.asyncInvoke?.maximumRetryAttempts ?? 0) + 1);
    const failures = await drain(stack.sqs, await queueUrlOf(stack.sqs, notifyFn.onFailureArn!));
    expect(failures).toHaveLength(1);
    const record = JSON.parse(failures[0]!.Body ?? '{}') as { requestContext: { condition: string }; requestPayload: { Records: Array<{ Sns: { Message: string } }> } };
    expect(record.requestContext.condition).toBe('RetriesExhausted');
    expect((JSON.parse(record.requestPayload.Records[0]!.Sns.Message) as Finding).eventId).toBe(finding.eventId);
  });

  /** Notifier handlers for an altered environment (same clients, same moto account). */
  function createNotifyHandlersFor(env: Record<string, string>): Promise<ReturnType<typeof createNotifyHandlers>> {
    return withFunctionEnvironment(stack, notifyFn, async () =>
      createNotifyHandlers(
        readNotifyConfig(env),
        // Backoff and Retry-After waits are recorded, not slept.
        { ddb: new DynamoDBClient({}), sns: new SNSClient({}), sqs: new SQSClient({}), cloudwatch: new CloudWatchClient({}), sleep: async (ms) => void waits.push(ms) },
        { info: () => {}, warn: () => {}, error: () => {} },
      ),
    );
  }
});
