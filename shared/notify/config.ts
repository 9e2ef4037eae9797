/**
 * The notifier's settings, read from the environment once. Only names and ARNs live there — the
 * webhook URL itself is fetched from SSM at run time (see webhook-url.ts).
 */
import { parseAccountNames } from '../alerts/context.ts';
import { DEFAULT_INCIDENT_WINDOW_MS, INCIDENT_WINDOW_MAX_S, INCIDENT_WINDOW_MIN_S } from './incidents.ts';

export type ChannelName = 'slack' | 'chatbot' | 'email';

export interface NotifyConfig {
  channels: ChannelName[];
  slackWebhookParameter: string;
  chatbotTopicArn: string;
  alertsTopicArn: string;
  dedupTable: string;
  digestTable: string;
  dlqUrl: string;
  digestWindowMs: number;
  /** Incident window after its last page-worthy finding (`TRAILWATCH_INCIDENT_WINDOW_SECONDS`, 300..86400, default 3600). */
  incidentWindowMs: number;
  immediateDetections: string[];
  /** How long an in-progress claim lasts (ms): more than the function timeout, less than timeout + 60 s. */
  claimMs: number;
  /** Account id → name shown next to the 12-digit id (`TRAILWATCH_ACCOUNT_NAMES`). */
  accountNames: Record<string, string>;
  /** DynamoDB table of the organization directory (organization mode; '' = none). */
  directoryTable: string;
  /** SSM path prefix every team webhook parameter must be under (the notifier's IAM covers only it). */
  teamWebhookPrefix: string;
  /** Problems found; the handler logs them at cold start and every alert then goes to the DLQ with the reason. */
  problems: string[];
}

const CHANNELS: readonly ChannelName[] = ['slack', 'chatbot', 'email'];

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses the notifier environment; never throws (misconfiguration is reported in `problems`). */
export function readNotifyConfig(env: Record<string, string | undefined>): NotifyConfig {
  const problems: string[] = [];
  const channels: ChannelName[] = [];
  for (const c of list(env['TRAILWATCH_NOTIFY_CHANNELS'] ?? 'slack,email')) {
    if ((CHANNELS as readonly string[]).includes(c)) channels.push(c as ChannelName);
    else problems.push(`unknown channel '${c}' in TRAILWATCH_NOTIFY_CHANNELS (known: ${CHANNELS.join(', ')})`);
  }
  const config: NotifyConfig = {
    channels,
    slackWebhookParameter: env['TRAILWATCH_SLACK_WEBHOOK_PARAMETER'] ?? '',
    chatbotTopicArn: env['TRAILWATCH_CHATBOT_TOPIC_ARN'] ?? '',
    alertsTopicArn: env['TRAILWATCH_ALERTS_TOPIC_ARN'] ?? '',
    dedupTable: env['TRAILWATCH_DEDUP_TABLE'] ?? '',
    digestTable: env['TRAILWATCH_DIGEST_TABLE'] ?? '',
    dlqUrl: env['TRAILWATCH_NOTIFY_DLQ_URL'] ?? '',
    digestWindowMs: 120_000,
    incidentWindowMs: DEFAULT_INCIDENT_WINDOW_MS,
    immediateDetections: list(env['TRAILWATCH_IMMEDIATE_DETECTIONS']),
    claimMs: 130_000,
    accountNames: {},
    directoryTable: env['TRAILWATCH_DIRECTORY_TABLE']?.trim() ?? '',
    teamWebhookPrefix: env['TRAILWATCH_TEAM_WEBHOOK_PREFIX']?.trim() || '/trailwatch/teams/',
    problems,
  };
  const claim = env['TRAILWATCH_CLAIM_SECONDS'];
  if (claim !== undefined && claim !== '') {
    const seconds = Number(claim);
    if (Number.isInteger(seconds) && seconds >= 30 && seconds <= 3600) config.claimMs = seconds * 1000;
    else problems.push(`TRAILWATCH_CLAIM_SECONDS='${claim}' is not an integer in 30..3600; using 130`);
  }
  try {
    config.accountNames = parseAccountNames(env['TRAILWATCH_ACCOUNT_NAMES']);
  } catch (error) {
    problems.push(`TRAILWATCH_ACCOUNT_NAMES: ${(error as Error).message}; account names are not shown`);
  }
  const window = env['TRAILWATCH_DIGEST_WINDOW_SECONDS'];
  if (window !== undefined && window !== '') {
    const seconds = Number(window);
    if (Number.isInteger(seconds) && seconds >= 10 && seconds <= 3600) config.digestWindowMs = seconds * 1000;
    else problems.push(`TRAILWATCH_DIGEST_WINDOW_SECONDS='${window}' is not an integer in 10..3600; using 120`);
  }
  const incident = env['TRAILWATCH_INCIDENT_WINDOW_SECONDS'];
  if (incident !== undefined && incident !== '') {
    const seconds = Number(incident);
    if (Number.isInteger(seconds) && seconds >= INCIDENT_WINDOW_MIN_S && seconds <= INCIDENT_WINDOW_MAX_S) config.incidentWindowMs = seconds * 1000;
    else problems.push(`TRAILWATCH_INCIDENT_WINDOW_SECONDS='${incident}' is not an integer in ${INCIDENT_WINDOW_MIN_S}..${INCIDENT_WINDOW_MAX_S}; using ${DEFAULT_INCIDENT_WINDOW_MS / 1000}`);
  }
  if (channels.length === 0) problems.push('no alert channel configured');
  if (channels.includes('slack') && !config.slackWebhookParameter) problems.push('slack channel without TRAILWATCH_SLACK_WEBHOOK_PARAMETER');
  if (channels.includes('chatbot') && !config.chatbotTopicArn) problems.push('chatbot channel without TRAILWATCH_CHATBOT_TOPIC_ARN');
  if (channels.includes('email') && !config.alertsTopicArn) problems.push('email channel without TRAILWATCH_ALERTS_TOPIC_ARN');
  if (!config.dlqUrl) problems.push('no TRAILWATCH_NOTIFY_DLQ_URL: failed alerts can only fail the invocation');
  return config;
}
