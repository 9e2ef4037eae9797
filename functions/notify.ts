/**
 * Notifier Lambda. `handler`: subscribed to the alerts SNS topic, turns findings into Slack /
 * Chatbot / e-mail alerts (once per detection+eventID, critical at once, the rest in digests; one
 * page per incident, its further page-worthy findings as follow-up digests).
 * `flush`: runs every minute on a schedule and sends the digests whose window has closed, so a
 * digest goes out even when no further finding arrives. Both publish one PutMetricData per call.
 * `redrive`: run on demand to re-send what waits in the notifier DLQ once the channel works again.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { isFinding } from '../shared/alerts/format.ts';
import { createLambdaLogger } from '../shared/log.ts';
import type { Finding } from '../shared/model/types.ts';
import { ChatbotChannel, EmailChannel, SlackChannel, type AlertChannel } from '../shared/notify/channels.ts';
import { readNotifyConfig, type NotifyConfig } from '../shared/notify/config.ts';
import { SqsDeadLetterQueue, type DeadLetterQueue } from '../shared/notify/dead-letter.ts';
import { DEFAULT_DEDUP, DedupStore } from '../shared/notify/dedup-store.ts';
import { DEFAULT_RETRY, type DeliveryDeps, type RetryPolicy } from '../shared/notify/webhook.ts';
import { accountDirectory, type RenderContext } from '../shared/alerts/context.ts';
import { DEFAULT_DIGEST, DigestStore } from '../shared/notify/digest-store.ts';
import { DynamoIncidentStore } from '../shared/notify/incidents.ts';
import { emptyStats, publishNotifyMetrics, type NotifyStats } from '../shared/notify/metrics.ts';
import { Notifier, type NotifyLog } from '../shared/notify/notifier.ts';
import { redriveDeadLetters, type RedriveStats } from '../shared/notify/redrive.ts';
import { webhookUrlFromSsm } from '../shared/notify/webhook-url.ts';
import { CentralChannel, TeamChannel, TeamRouting, teamChannelName } from '../shared/notify/teams.ts';
import { OrganizationDirectory } from '../shared/organization/directory.ts';
import { CachedDirectory, DynamoDirectoryStore } from '../shared/organization/store.ts';
import { readNotifyTuning, type NotifyTuning } from '../shared/tuning/subset.ts';
import type { TeamEntry } from '../shared/tuning/types.ts';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** AWS clients and collaborators the notifier needs; injected in tests. */
export interface NotifyClients {
  ddb: DynamoDBClient;
  sns: SNSClient;
  sqs: SQSClient;
  cloudwatch: CloudWatchClient;
  /** Defaults to the cached SSM read of `config.slackWebhookParameter`. */
  slackUrl?: () => Promise<string>;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Webhook transport overrides (tests: virtual time, short real timeouts). */
  delivery?: DeliveryDeps;
  /** Slack retry policy (default DEFAULT_RETRY). */
  retry?: RetryPolicy;
  /** The organization directory (names, OU paths); refreshed at the start of every invocation. */
  directory?: CachedDirectory;
  /** Teams from the tuning file (`routing.teams`): their own Slack channels (shared/notify/teams.ts). */
  teams?: readonly TeamEntry[];
  /** Defaults to the cached SSM read of the team's `slackWebhookParameter`. */
  teamSlackUrl?: (parameter: string) => () => Promise<string>;
}

/** The part of the Lambda context the notifier reads. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Time kept free at the end of an invocation for the DLQ write, the claim update and the metrics
 * after the last delivery attempt: sending stops this long before the function would time out.
 */
export const DELIVERY_MARGIN_MS = 20_000;

/** One SNS record that could not be read as a finding, with the reason (logged and counted). */
export interface Rejected {
  messageId: string;
  reason: string;
}

/**
 * Findings from an SNS event. Records the notifier itself published (`kind=alert`) are ignored;
 * anything else that is not a finding is rejected with a reason, never thrown.
 */
export function findingsFromSns(event: SNSEvent): { findings: Finding[]; rejected: Rejected[]; ignored: number } {
  const findings: Finding[] = [];
  const rejected: Rejected[] = [];
  let ignored = 0;
  for (const record of Array.isArray(event?.Records) ? event.Records : []) {
    const messageId = record?.Sns?.MessageId ?? 'unknown';
    if (record?.Sns?.MessageAttributes?.['kind']?.Value === 'alert') {
      ignored += 1;
      continue;
    }
    const message = record?.Sns?.Message;
    if (typeof message !== 'string') {
      rejected.push({ messageId, reason: 'SNS record without a Message' });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      rejected.push({ messageId, reason: 'Message is not JSON (was the topic published without MessageStructure json?)' });
      continue;
    }
    if (isFinding(parsed)) findings.push(parsed);
    else rejected.push({ messageId, reason: 'Message is JSON but not a Trailwatch finding' });
  }
  return { findings, rejected, ignored };
}

/** Failures when no DLQ is configured: the error fails the invocation (Lambda's on-failure destination keeps it). */
const noDlq: DeadLetterQueue = {
  async send(letter) {
    throw new Error(`no dead-letter queue configured; failed: ${letter.failedChannels.map((c) => `${c.channel}: ${c.reason}`).join('; ')}`);
  },
};

/** A channel that always fails with the configuration problem, so misconfiguration dead-letters instead of dropping alerts. */
function misconfigured(name: string, problem: string): AlertChannel {
  return {
    name,
    send: async () => {
      throw new Error(`misconfigured: ${problem}`);
    },
  };
}

/** The configured channels (a misconfigured one fails every send with the reason). */
export function buildChannels(config: NotifyConfig, clients: NotifyClients): AlertChannel[] {
  const channels: AlertChannel[] = [];
  // Names: the `accountNames` stage parameter first, then the directory (tuning file over AWS Organizations).
  const names = accountDirectory(config.accountNames);
  const directory = clients.directory;
  const context: RenderContext = { accounts: { nameOf: (id) => names.nameOf(id) ?? directory?.current.nameOf(id) } };
  const now = clients.clock ?? Date.now;
  const deliveryDeps = (): DeliveryDeps => ({ now, ...(clients.sleep ? { sleep: clients.sleep } : {}), ...clients.delivery });
  for (const name of config.channels) {
    if (name === 'slack') {
      const url = clients.slackUrl ?? webhookUrlFromSsm(config.slackWebhookParameter);
      channels.push(new SlackChannel(url, clients.retry ?? DEFAULT_RETRY, deliveryDeps(), context));
    } else if (name === 'chatbot') {
      channels.push(config.chatbotTopicArn ? new ChatbotChannel(clients.sns, config.chatbotTopicArn, context) : misconfigured(name, 'no TRAILWATCH_CHATBOT_TOPIC_ARN'));
    } else {
      channels.push(config.alertsTopicArn ? new EmailChannel(clients.sns, config.alertsTopicArn, context) : misconfigured(name, 'no TRAILWATCH_ALERTS_TOPIC_ARN'));
    }
  }
  if (channels.length === 0) channels.push(misconfigured('none', 'no alert channel configured (TRAILWATCH_NOTIFY_CHANNELS)'));
  const teams = clients.teams ?? [];
  if (teams.length === 0) return channels;
  const routing = new TeamRouting(teams, () => directory?.current ?? new OrganizationDirectory());
  const out: AlertChannel[] = channels.map((c) => new CentralChannel(c, routing));
  for (const team of teams) {
    const parameter = team.slackWebhookParameter;
    const inner = !parameter.startsWith(config.teamWebhookPrefix)
      ? misconfigured(teamChannelName(team), `team ${team.name}: webhook parameter ${parameter} is outside ${config.teamWebhookPrefix}, which is all the notifier may read`)
      : new SlackChannel((clients.teamSlackUrl ?? webhookUrlFromSsm)(parameter), clients.retry ?? DEFAULT_RETRY, deliveryDeps(), context);
    out.push(new TeamChannel(team, inner, routing));
  }
  return out;
}

/** Wires the notifier from configuration and clients. */
export function buildNotifier(config: NotifyConfig, clients: NotifyClients, log: NotifyLog, channels = buildChannels(config, clients)): Notifier {
  return new Notifier({
    channels,
    deadLetters: config.dlqUrl ? new SqsDeadLetterQueue(clients.sqs, config.dlqUrl) : noDlq,
    ...(config.dedupTable ? { dedup: new DedupStore(clients.ddb, config.dedupTable, { ...DEFAULT_DEDUP, inProgressMs: config.claimMs }) } : {}),
    ...(config.digestTable ? { digests: new DigestStore(clients.ddb, config.digestTable, { ...DEFAULT_DIGEST, windowMs: config.digestWindowMs }) } : {}),
    // Incidents live in the dedup table (`incident|…` keys); their follow-ups in the digest table.
    ...(config.dedupTable && config.digestTable ? { incidents: new DynamoIncidentStore(clients.ddb, config.dedupTable), incidentWindowMs: config.incidentWindowMs } : {}),
    ...(clients.clock ? { clock: clients.clock } : {}),
    log,
    immediateDetections: config.immediateDetections,
  });
}

/** Handlers bound to a configuration and clients (the exported Lambda handlers use the real ones). */
export function createNotifyHandlers(config: NotifyConfig, clients: NotifyClients, log: NotifyLog) {
  const channels = buildChannels(config, clients);
  const notifier = buildNotifier(config, clients, log, channels);
  for (const problem of config.problems) log.error('notifier configuration problem', { problem });
  const now = clients.clock ?? Date.now;
  let checkedTimeout = false;

  /** The sending deadline of this invocation, on the notifier's clock; warns once if the claim is too short. */
  function deadlineOf(context: InvocationContext | undefined): number | undefined {
    if (!context || typeof context.getRemainingTimeInMillis !== 'function') return undefined;
    const remaining = context.getRemainingTimeInMillis();
    if (!checkedTimeout) {
      checkedTimeout = true;
      if (remaining >= config.claimMs) log.error('notifier configuration problem', { problem: `claim (${config.claimMs} ms) is not longer than the function timeout (${remaining} ms left): a live invocation could be overtaken` });
    }
    return now() + remaining - DELIVERY_MARGIN_MS;
  }

  async function withMetrics<T>(work: (stats: NotifyStats) => Promise<T>): Promise<T> {
    const stats = emptyStats();
    try {
      return await work(stats);
    } finally {
      await publishNotifyMetrics(clients.cloudwatch, stats, new Date(now()), (e) => log.warn('PutMetricData failed', { error: e.message }));
      log.info('notifier run', { ...stats });
    }
  }

  return {
    /** SNS → alerts. Throws only when an alert could be neither delivered nor dead-lettered. */
    async handler(event: SNSEvent, context?: InvocationContext): Promise<NotifyStats> {
      await clients.directory?.refresh();
      return withMetrics(async (stats) => {
        const { findings, rejected } = findingsFromSns(event);
        for (const r of rejected) log.error('SNS message rejected', { ...r });
        stats.rejected += rejected.length;
        const deadline = deadlineOf(context);
        return notifier.handle(findings, stats, deadline !== undefined ? { deadline } : {});
      });
    },
    /** Schedule → send due digests. */
    async flush(_event?: unknown, context?: InvocationContext): Promise<NotifyStats> {
      await clients.directory?.refresh();
      const deadline = deadlineOf(context);
      return withMetrics((stats) => notifier.flush(stats, deadline !== undefined ? { deadline } : {}));
    },
    /** On demand → re-send what waits in the notifier DLQ to the channels that failed. */
    async redrive(event?: { maxMessages?: number }, context?: InvocationContext): Promise<RedriveStats> {
      if (!config.dlqUrl) throw new Error('no TRAILWATCH_NOTIFY_DLQ_URL configured');
      const max = typeof event?.maxMessages === 'number' && event.maxMessages > 0 ? Math.min(event.maxMessages, 1000) : 100;
      // Sending ends DELIVERY_MARGIN_MS before the timeout (no claim here, so no claim check).
      const remaining = context && typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
      const timing = remaining !== undefined ? { deadline: now() + remaining - DELIVERY_MARGIN_MS, now } : {};
      const stats = await redriveDeadLetters(clients.sqs, config.dlqUrl, channels, log, max, timing);
      log.info('notifier DLQ redrive', { ...stats });
      return stats;
    },
  };
}

/**
 * The tuning file packaged beside the handler (names, OUs, teams). Unreadable: every alert goes to
 * the central channels, and the problem is logged at cold start (detect refuses the same file).
 */
export function readPackagedTuning(env: Record<string, string | undefined>, config: NotifyConfig): NotifyTuning | undefined {
  const name = env['TRAILWATCH_TUNING_FILE']?.trim() || 'trailwatch.config.json';
  const path = isAbsolute(name) ? name : join(env['LAMBDA_TASK_ROOT'] ?? process.cwd(), name);
  if (!existsSync(path)) return undefined;
  try {
    return readNotifyTuning(readFileSync(path, 'utf8'));
  } catch (error) {
    config.problems.push(`tuning file ${name}: ${(error as Error).message}; team routing and configured names are off`);
    return undefined;
  }
}

let handlers: ReturnType<typeof createNotifyHandlers> | undefined;

function lambdaHandlers(): ReturnType<typeof createNotifyHandlers> {
  if (!handlers) {
    const log: NotifyLog = createLambdaLogger({ serviceName: 'trailwatch-notify' });
    const config = readNotifyConfig(process.env);
    const ddb = new DynamoDBClient({});
    const tuning = readPackagedTuning(process.env, config);
    const declared = OrganizationDirectory.fromTuning(tuning?.organization);
    const directory = new CachedDirectory(config.directoryTable ? new DynamoDirectoryStore(ddb, config.directoryTable) : undefined, {
      declared,
      onError: (error) => log.warn('organization directory unavailable; using the last one read', { error: error.message }),
    });
    handlers = createNotifyHandlers(
      config,
      { ddb, sns: new SNSClient({}), sqs: new SQSClient({}), cloudwatch: new CloudWatchClient({}), directory, teams: tuning?.teams ?? [] },
      log,
    );
  }
  return handlers;
}

export const handler = (event: SNSEvent, context?: InvocationContext): Promise<NotifyStats> => lambdaHandlers().handler(event, context);
export const flush = (event?: unknown, context?: InvocationContext): Promise<NotifyStats> => lambdaHandlers().flush(event, context);
export const redrive = (event?: { maxMessages?: number }, context?: InvocationContext): Promise<RedriveStats> => lambdaHandlers().redrive(event, context);
