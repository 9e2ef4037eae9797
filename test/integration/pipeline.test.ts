import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SNSEvent, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as detectHandler } from '../../functions/detect.ts';
import { createNotifyHandlers } from '../../functions/notify.ts';
import { mfaSweep, handler as ratesHandler } from '../../functions/rates.ts';
import { loadConfig } from '../../shared/config.ts';
import { MfaReplacementProcessor } from '../../shared/mfa/replacement.ts';
import { detections } from '../../shared/detections/index.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { Finding } from '../../shared/model/types.ts';
import { readNotifyConfig } from '../../shared/notify/config.ts';
import type { NotifyStats } from '../../shared/notify/metrics.ts';
import { matchesPattern } from '../../shared/pipeline/event-pattern.ts';
import { detectionRules } from '../../shared/pipeline/event-rules.ts';
import { unwrapRouted } from '../../shared/pipeline/routing.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { deployedResources } from '../helpers/cfn-conditions.ts';
import { EVENTS_DIR } from '../helpers/events.ts';
import { type FakeSlack, startFakeSlack } from '../notify/fake-slack.ts';
import { incidentKey } from '../../shared/notify/incidents.ts';
import type { CfnResource } from './moto-template.ts';
import { type DeployedFunction, type DeployedStack, clientConfig, deployPackagedStack, drain, eachLimited, invokeAsync, motoAccount, observerQueue, queueUrlOf, snsEventFromEnvelope, tapBus, withFunctionEnvironment } from './moto-stack.ts';

// End to end on a real AWS API (moto): the packaged stack deployed with CloudFormation, every sample
// event put on the default bus, the generated rules routing them, the real handlers running on what
// arrives, and every sink read back from the service it went to.

const endpoint = inject('motoEndpoint');
/** Why the tier is skipped here (moto not installed), shown in the suite title. */
const unavailable = inject('motoUnavailable');
/** Concurrent invocations of a function without reserved concurrency (EventBridge and SNS invoke Lambda concurrently too). */
const DETECT_CONCURRENCY = 8;

interface Sample {
  path: string;
  folder: string;
  file: string;
  envelope: Record<string, unknown>;
  eventId: string;
}

function samples(): Sample[] {
  return readdirSync(EVENTS_DIR)
    .filter((f) => statSync(join(EVENTS_DIR, f)).isDirectory())
    .flatMap((folder) =>
      readdirSync(join(EVENTS_DIR, folder))
        .filter((f) => f.endsWith('.json'))
        .map((file) => {
          const envelope = JSON.parse(readFileSync(join(EVENTS_DIR, folder, file), 'utf8')) as Record<string, unknown>;
          const eventId = idOf(envelope);
          return { path: `${folder}/${file}`, folder, file, envelope, eventId };
        }),
    );
}

/** The id findings carry for an event: the CloudTrail eventID, or another detector's finding id (normalize decides). */
function idOf(envelope: unknown): string {
  const n = normalize(envelope);
  return n.ok ? n.event.id : String(((envelope as Record<string, unknown>)['detail'] as Record<string, unknown> | undefined)?.['eventID']);
}

/** The id of a delivered event, bare or wrapped by its rule's route (shared/pipeline/routing.ts). */
const eventIdOf = (body: unknown): string => idOf(unwrapRouted(body).event);
const key = (f: Pick<Finding, 'detection' | 'eventId'>): string => `${f.detection}#${f.eventId}`;
const countBy = <T,>(items: readonly T[], by: (t: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const i of items) out[by(i)] = (out[by(i)] ?? 0) + 1;
  return out;
};

describe.skipIf(!endpoint)(`moto: the packaged stack end to end${unavailable ? ` (${unavailable})` : ''}`, () => {
  const all = samples();
  let stack: DeployedStack;
  let slack: FakeSlack;
  let detectFn: DeployedFunction;
  let ratesFn: DeployedFunction;
  let sweepFn: DeployedFunction;
  let notifyFn: DeployedFunction;
  /** Each rule of the packaged template that targets detect, the detections it feeds, and its observer queue. */
  const ruleTaps: Array<{ detections: string[]; name: string; pattern: unknown; url: string }> = [];
  let findingsTap: { url: string };
  let alertsTap: { url: string; arn: string };
  /** What arrived at each stand-in / observer, for the assertions below. */
  const seen = {
    detectMessages: [] as Message[],
    detectFindings: 0,
    rateMessages: [] as Message[],
    /** Findings the scheduled MFA sweep raised after the rates batches. */
    sweepFindings: 0,
    notifyMessages: [] as Message[],
    notifyStats: [] as NotifyStats[],
    flushStats: undefined as NotifyStats | undefined,
    summaryFlushStats: undefined as NotifyStats | undefined,
    busFindings: [] as Finding[],
    alertsTopic: [] as Array<Record<string, unknown>>,
    mailbox: [] as Array<Record<string, unknown>>,
  };

  beforeAll(async () => {
    const account = await motoAccount(endpoint);
    stack = await deployPackagedStack(account);
    detectFn = stack.functions.get('functions/detect.handler')!;
    ratesFn = stack.functions.get('functions/rates.handler')!;
    sweepFn = stack.functions.get('functions/rates.mfaSweep')!;
    notifyFn = stack.functions.get('functions/notify.handler')!;
    slack = await startFakeSlack();
    // The webhook lives in SSM as a SecureString, where the deployed notifier reads it.
    const ssm = new SSMClient(clientConfig(account));
    await ssm.send(new PutParameterCommand({ Name: notifyFn.environment['TRAILWATCH_SLACK_WEBHOOK_PARAMETER'], Type: 'SecureString', Value: slack.url, Overwrite: true }));

    // Observers: the findings bus through an SQS target, every message on the alerts topic, and a
    // second target on each generated detection rule (so each rule's deliveries are seen apart).
    findingsTap = await tapBus(stack, detectFn.environment['TRAILWATCH_FINDINGS_BUS_NAME']!, 'observer-findings', { source: ['trailwatch'] });
    alertsTap = await observerQueue(stack.sqs, 'observer-alerts-topic');
    await stack.sns.send(new SubscribeCommand({ TopicArn: detectFn.environment['TRAILWATCH_ALERTS_TOPIC_ARN'], Protocol: 'sqs', Endpoint: alertsTap.arn }));
    // Only what this deployment created (moto evaluates conditions: no central rules in account mode).
    for (const [id, r] of Object.entries(deployedResources(stack.transformed.template)) as Array<[string, CfnResource]>) {
      const props = r.Properties ?? {};
      const targets = (props['Targets'] ?? []) as Array<{ Arn: unknown }>;
      const toDetect = targets.some((t) => JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': [detectFn.spec.logicalId, 'Arn'] }));
      if (r.Type !== 'AWS::Events::Rule' || !props['EventPattern'] || !toDetect) continue;
      const name = String(props['Name']);
      const tap = await observerQueue(stack.sqs, `observer-${id}`.slice(0, 80));
      await stack.eventBridge.send(new PutTargetsCommand({ Rule: name, EventBusName: String(props['EventBusName'] ?? 'default'), Targets: [{ Id: 'observer', Arn: tap.arn }] }));
      // Which detections it feeds: the generated rule with the same pattern says.
      const generated = detectionRules(detections).find((g) => JSON.stringify(g.pattern) === JSON.stringify(props['EventPattern']));
      ruleTaps.push({ detections: generated?.detections ?? [], name, pattern: props['EventPattern'], url: tap.url });
    }

    // 1. Every sample onto the default bus, 10 entries per PutEvents (the API's limit).
    for (let i = 0; i < all.length; i += 10) {
      const entries = all.slice(i, i + 10).map((s) => ({
        EventBusName: 'default',
        Source: String(s.envelope['source']),
        DetailType: String(s.envelope['detail-type']),
        Detail: JSON.stringify(s.envelope['detail']),
        Time: new Date(String(s.envelope['time'])),
        Resources: (s.envelope['resources'] as string[] | undefined) ?? [],
      }));
      const out = await stack.eventBridge.send(new PutEventsCommand({ Entries: entries }));
      expect(out.FailedEntryCount ?? 0).toBe(0);
    }

    // 2. The detect function on everything its rules delivered (Lambda async semantics).
    seen.detectMessages = await drain(stack.sqs, detectFn.queueUrl);
    await withFunctionEnvironment(stack, detectFn, () =>
      eachLimited(seen.detectMessages, detectFn.spec.reservedConcurrency ?? DETECT_CONCURRENCY, async (m) => {
        const result = await invokeAsync(stack, detectFn, async (event) => {
          const r = await detectHandler(event);
          seen.detectFindings += r.findings;
        }, JSON.parse(m.Body ?? 'null'));
        expect(result).toMatchObject({ ok: true });
      }),
    );

    // 3. The rates function on its queue, in batches as its event source mapping says.
    const trigger = stack.transformed.queueTriggers.find((t) => t.functionLogicalId === ratesFn.spec.logicalId)!;
    seen.rateMessages = await drain(stack.sqs, await queueUrlOf(stack.sqs, stack.outputs[trigger.queueArnOutput]!));
    for (let i = 0; i < seen.rateMessages.length; i += trigger.batchSize) {
      const batch: SQSEvent = {
        Records: seen.rateMessages.slice(i, i + trigger.batchSize).map((m) => ({
          messageId: m.MessageId ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          body: m.Body ?? '',
          attributes: m.Attributes as SQSEvent['Records'][number]['attributes'],
          messageAttributes: {},
          md5OfBody: m.MD5OfBody ?? '',
          eventSource: 'aws:sqs',
          eventSourceARN: stack.outputs[trigger.queueArnOutput]!,
          awsRegion: 'us-east-1',
        })),
      };
      const response = await withFunctionEnvironment(stack, ratesFn, () => ratesHandler(batch));
      expect(response.batchItemFailures).toEqual([]);
    }
    // 3b. The scheduled MFA sweep (its schedule rule is the framework's; moto cannot run Lambda):
    // the samples are weeks old, so every removal no later sample settled is overdue by the clock.
    seen.sweepFindings = (await withFunctionEnvironment(stack, sweepFn, () => mfaSweep())).findings;

    // 4. The notifier on what its subscription delivered, then the digest flush once the window closed.
    let now = Date.now();
    const handlers = await withFunctionEnvironment(stack, notifyFn, async () =>
      createNotifyHandlers(
        readNotifyConfig(process.env),
        { ddb: new DynamoDBClient({}), sns: new SNSClient({}), sqs: new SQSClient({}), cloudwatch: new CloudWatchClient({}), clock: () => now },
        { info: () => {}, warn: () => {}, error: () => {} },
      ),
    );
    seen.notifyMessages = await drain(stack.sqs, notifyFn.queueUrl);
    await withFunctionEnvironment(stack, notifyFn, () =>
      eachLimited(seen.notifyMessages, notifyFn.spec.reservedConcurrency ?? DETECT_CONCURRENCY, async (m) => {
        const result = await invokeAsync(stack, notifyFn, async (event) => {
          seen.notifyStats.push(await handlers.handler(event as SNSEvent));
        }, snsEventFromEnvelope(m.Body ?? ''));
        expect(result).toMatchObject({ ok: true });
      }),
    );
    now += (Number(notifyFn.environment['TRAILWATCH_DIGEST_WINDOW_SECONDS']) + 60) * 1000;
    seen.flushStats = await withFunctionEnvironment(stack, notifyFn, () => handlers.flush());
    // The once-a-day summary (findings routed `summary`) goes out after its day has ended.
    now += 2 * 86_400_000;
    seen.summaryFlushStats = await withFunctionEnvironment(stack, notifyFn, () => handlers.flush());

    // 5. What reached the observers.
    seen.busFindings = (await drain(stack.sqs, findingsTap.url)).map((m) => (JSON.parse(m.Body ?? '{}') as { detail: Finding }).detail);
    seen.alertsTopic = (await drain(stack.sqs, alertsTap.url)).map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
    seen.mailbox = (await drain(stack.sqs, stack.subscriptionEndpoints.get('AlertsEmailSubscription')!)).map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
  }, 300_000);

  afterAll(async () => {
    await slack?.stop();
  });

  it('pushed every sample event, and the stack turned them into findings', () => {
    expect(all.length).toBeGreaterThan(50);
    expect(new Set(all.map((s) => s.eventId)).size).toBe(all.length);
    expect(seen.detectFindings).toBeGreaterThan(0);
  });

  it('each generated rule delivers exactly the samples its pattern matches, and every positive reaches a rule feeding its detection', async () => {
    // The stack is packaged with the checked-in zero-configuration tuning: a detection that needs tuning has no rule.
    const routed = detections.filter((d) => d.needsTuning === undefined);
    expect([...new Set(ruleTaps.flatMap((t) => t.detections))].sort()).toEqual(routed.map((d) => d.id).sort());
    const deliveredBy = new Map<string, string[]>();
    for (const tap of ruleTaps) {
      const delivered = (await drain(stack.sqs, tap.url)).map((m) => eventIdOf(JSON.parse(m.Body ?? '{}')));
      deliveredBy.set(tap.name, delivered);
      const expected = all.filter((s) => matchesPattern(tap.pattern, s.envelope)).map((s) => s.eventId);
      expect({ rule: tap.name, delivered: [...delivered].sort() }).toEqual({ rule: tap.name, delivered: [...expected].sort() });
    }
    for (const d of routed) {
      const positives = all.filter((s) => s.folder === d.id && s.file.startsWith('positive-'));
      expect(positives.length).toBeGreaterThan(0);
      for (const s of positives) {
        const feeding = ruleTaps.filter((t) => t.detections.includes(d.id) && deliveredBy.get(t.name)?.includes(s.eventId)).map((t) => t.name);
        expect({ sample: s.path, feeding: feeding.length > 0 }).toEqual({ sample: s.path, feeding: true });
      }
    }
  });

  it('detect receives each sample once per detection rule that matches it (and nothing else)', () => {
    const received = countBy(seen.detectMessages, (m) => eventIdOf(JSON.parse(m.Body ?? '{}')));
    const expected: Record<string, number> = {};
    for (const s of all) {
      const n = ruleTaps.filter((t) => matchesPattern(t.pattern, s.envelope)).length;
      if (n > 0) expected[s.eventId] = n;
    }
    expect(received).toEqual(expected);
  });

  it('the findings bus holds exactly the findings replay gives for the delivered samples, each exactly once', () => {
    // Expected: the pure detections on each sample detect received (however many rules delivered it), once each.
    const deliveries = countBy(seen.detectMessages, (m) => eventIdOf(JSON.parse(m.Body ?? '{}')));
    const expected: Record<string, number> = {};
    const deployed = loadConfig(detectFn.environment);
    const mfaContext = deployed.mfaReplacementMinutes !== undefined ? { mfaReplacement: { windowMinutes: deployed.mfaReplacementMinutes } } : {};
    for (const s of all.filter((s) => deliveries[s.eventId])) {
      for (const f of runDetections([{ value: s.envelope }], detections, { self: deployed.self, ...mfaContext }).findings) expected[key(f)] = 1;
    }
    // Plus the MFA-replacement judgement's pages (rates function or its sweep), as replay's processor gives them.
    const fromDetections = seen.busFindings.filter((f) => detections.some((d) => d.id === f.detection));
    const judged = fromDetections.filter((f) => f.eventId.endsWith('-not-replaced'));
    for (const f of judged) expected[key(f)] = 1;
    expect(countBy(fromDetections, key)).toEqual(expected);
    expect(fromDetections.length).toBe(seen.detectFindings + judged.length);
    // The bus event is the whole finding: what a SIEM rule can match on.
    for (const f of fromDetections) expect(f).toMatchObject({ detection: expect.any(String), severity: expect.any(String), eventId: expect.any(String), title: expect.any(String) });
  });

  it('MFA replacement: the replaced device pages nothing, the removal never replaced pages once — as replay judges the same events', async () => {
    const onBus = (f: Finding) => f.detection === 'mfa-deactivated';
    const processor = new MfaReplacementProcessor();
    const events = runDetections(seen.rateMessages.map((m) => ({ value: JSON.parse(m.Body ?? '{}') })), []).events;
    const replayed = [...(await processor.process(events)), ...(await processor.flush())];
    const judged = seen.busFindings.filter((f) => onBus(f) && f.eventId.endsWith('-not-replaced'));
    expect(judged.map((f) => f.eventId).sort()).toEqual(replayed.map((f) => f.eventId).sort());
    expect(judged.map((f) => [f.details['userName'], f.severity, f.route])).toEqual([['dana', 'high', 'page']]);
    expect(processor.stats).toMatchObject({ replaced: 1, notReplaced: 1 });
    // Detect deferred both users' removals (low); root's stayed critical.
    const fromDetect = seen.busFindings.filter((f) => onBus(f) && !f.eventId.endsWith('-not-replaced'));
    expect(fromDetect.map((f) => f.severity).sort()).toEqual(['critical', 'low', 'low', 'low']);
    expect(seen.sweepFindings).toBeLessThanOrEqual(1);
  });

  it('SNS: one kind=finding message per finding with its attributes; the filter policies split findings from alerts', () => {
    const attr = (m: Record<string, unknown>, name: string): unknown => ((m['MessageAttributes'] as Record<string, { Value: string }> | undefined)?.[name])?.Value;
    const findingMessages = seen.alertsTopic.filter((m) => attr(m, 'kind') === 'finding');
    const alertMessages = seen.alertsTopic.filter((m) => attr(m, 'kind') === 'alert');
    expect(findingMessages.length + alertMessages.length).toBe(seen.alertsTopic.length);
    expect(findingMessages.length).toBe(seen.busFindings.length);
    const byKey = countBy(findingMessages, (m) => {
      const f = JSON.parse(String(m['Message'])) as Finding;
      expect(attr(m, 'severity')).toBe(f.severity);
      expect(attr(m, 'detection')).toBe(f.detection);
      return key(f);
    });
    expect(byKey).toEqual(countBy(seen.busFindings, key));
    // The notifier's subscription ({kind: [finding]}) got only findings; the e-mail one ({kind: [alert]}) only alerts.
    expect(seen.notifyMessages.length).toBe(findingMessages.length);
    for (const m of seen.notifyMessages) expect(attr(JSON.parse(m.Body ?? '{}') as Record<string, unknown>, 'kind')).toBe('finding');
    expect(seen.mailbox.length).toBe(alertMessages.length);
    for (const m of seen.mailbox) expect(attr(m, 'kind')).toBe('alert');
    expect(alertMessages.length).toBeGreaterThan(0);
  });

  it('Slack (the URL read from SSM) gets each finding once, as its route says: pages at once, digests per group, one daily summary, record-only never', () => {
    const distinct = new Map(seen.busFindings.map((f) => [key(f), f]));
    const sent = [...seen.notifyStats, seen.flushStats!, seen.summaryFlushStats!];
    const total = (k: keyof NotifyStats): number => sent.reduce((n, s) => n + s[k], 0);
    expect(total('deliveriesFailed')).toBe(0);
    expect(seen.busFindings.length).toBe(distinct.size);
    expect(total('duplicates')).toBe(0);
    expect(slack.requests.length).toBe(total('alertsSent'));
    expect(slack.requests.every((r) => r.status === 200 && r.path === new URL(slack.url).pathname)).toBe(true);
    // Every finding on the bus carries the routing decision the notifier followed.
    const byRoute = (route: string) => [...distinct.values()].filter((f) => f.route === route);
    for (const f of distinct.values()) expect(['page', 'digest', 'summary', 'record'], key(f)).toContain(f.route);
    const pages = byRoute('page');
    expect(pages.length).toBeGreaterThan(0);
    // One page per incident (detection, account, principal; docs/alerts.md "No page storms"): every
    // incident was paged; its other page-worthy findings are follow-ups, grouped like digests.
    const postsOf = (f: Finding): number => slack.requests.filter((r) => r.body.includes(f.eventId) && r.body.includes(f.detection)).length;
    const incidents = countBy(pages, incidentKey);
    for (const k of Object.keys(incidents)) expect({ incident: k, paged: pages.some((f) => incidentKey(f) === k && postsOf(f) === 1) }).toEqual({ incident: k, paged: true });
    expect(total('followUps')).toBeLessThanOrEqual(pages.length - Object.keys(incidents).length);
    expect(total('grouped')).toBe(byRoute('digest').length + byRoute('summary').length + total('followUps'));
    expect(total('recorded')).toBe(byRoute('record').length);
    // Digests went out when their window closed, the summary once its day ended (the digest table
    // is empty afterwards, see below); a group of one is sent as a plain alert.
    if (byRoute('digest').length > 0) expect(seen.flushStats!.alertsSent).toBeGreaterThan(0);
    // One summary in all: usually the second flush sends it, but when the run starts just before
    // midnight UTC the first flush (a digest window later) is already past the day's end and sends it.
    expect(seen.flushStats!.summaries + seen.summaryFlushStats!.summaries).toBe(byRoute('summary').length > 0 ? 1 : 0);
    expect(slack.requests.length).toBe(pages.length - total('followUps') + seen.flushStats!.alertsSent + seen.summaryFlushStats!.alertsSent);
    // No finding is named in two posts, and a record-only finding in none.
    const named = [...distinct.values()].map((f) => slack.requests.filter((r) => r.body.includes(f.eventId) && r.body.includes(f.detection)).length);
    expect(named.every((n) => n <= 1)).toBe(true);
    // E-mail follows the same alerts: one SNS kind=alert message per Slack post.
    expect(seen.mailbox.length).toBe(slack.requests.length);
  });

  it('DynamoDB: one dedup record per distinct finding, no open digest left, rate state for the principals', async () => {
    const ddb = new DynamoDBClient(clientConfig(stack.account));
    const scan = async (table: string) => (await ddb.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const dedup = await scan(notifyFn.environment['TRAILWATCH_DEDUP_TABLE']!);
    // Record-only findings send nothing, so they need no claim. Besides the claims: one record per incident.
    const pks = dedup.map((i) => String(i['pk']?.S));
    expect(pks.filter((k) => !k.startsWith('incident|')).sort()).toEqual([...new Set(seen.busFindings.filter((f) => f.route !== 'record').map(key))].sort());
    expect(pks.filter((k) => k.startsWith('incident|')).sort()).toEqual([...new Set(seen.busFindings.filter((f) => f.route === 'page').map(incidentKey))].sort());
    expect(await scan(notifyFn.environment['TRAILWATCH_DIGEST_TABLE']!)).toEqual([]);
    // Rate state: one API-level item per (account, eventSource:eventName) the rates function counted.
    const rates = await scan(ratesFn.environment['TRAILWATCH_RATES_TABLE']!);
    const events = runDetections(seen.rateMessages.map((m) => ({ value: JSON.parse(m.Body ?? '{}') })), []).events;
    expect(events.length).toBeGreaterThan(0);
    const apiKeys = rates.map((i) => String(i['pk']?.S)).filter((k) => k.startsWith('a|'));
    expect(apiKeys.sort()).toEqual([...new Set(events.map((e) => `a|${e.account}|${e.source}:${e.name}`))].sort());
    for (const prefix of ['p|', 'k|']) expect(rates.some((i) => String(i['pk']?.S).startsWith(prefix))).toBe(true);
  });

  it('CloudWatch: the Findings metrics add up to the findings delivered, EventsProcessed to the events handled', async () => {
    const cw = new CloudWatchClient(clientConfig(stack.account));
    const sum = async (MetricName: string, Dimensions?: Array<{ Name: string; Value: string }>) => {
      const out = await cw.send(
        new GetMetricStatisticsCommand({ Namespace: detectFn.environment['TRAILWATCH_METRICS_NAMESPACE'], MetricName, Dimensions, StartTime: new Date(Date.now() - 3600_000), EndTime: new Date(Date.now() + 3 * 86_400_000), Period: 7200, Statistics: ['Sum'] }),
      );
      return (out.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
    };
    // (The window reaches 3 days ahead: the daily-summary flush runs on a clock 2 days on.)
    // Per (detection, severity): exactly the findings delivered. (moto sums every datapoint that
    // carries the asked dimensions, so the Severity-only query also counts the per-detection
    // datapoints: twice the findings. CloudWatch matches the exact dimension set.)
    for (const [pair, n] of Object.entries(countBy(seen.busFindings, (f) => `${f.detection}|${f.severity}`))) {
      const [detection, severity] = pair.split('|') as [string, string];
      expect({ pair, sum: await sum('Findings', [{ Name: 'Detection', Value: detection }, { Name: 'Severity', Value: severity }]) }).toEqual({ pair, sum: n });
    }
    for (const [severity, n] of Object.entries(countBy(seen.busFindings, (f) => f.severity))) expect({ severity, sum: await sum('Findings', [{ Name: 'Severity', Value: severity }]) }).toEqual({ severity, sum: 2 * n });
    const rateEvents = runDetections(seen.rateMessages.map((m) => ({ value: JSON.parse(m.Body ?? '{}') })), []).events.length;
    // Detect counts each event once, however many of its rules delivered it (routing's countsEvent).
    const detectEvents = new Set(seen.detectMessages.map((m) => eventIdOf(JSON.parse(m.Body ?? '{}')))).size;
    expect(await sum('EventsProcessed')).toBe(detectEvents + rateEvents);
    expect(await sum('AlertsSent')).toBe(slack.requests.length);
  });
});
