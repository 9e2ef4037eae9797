import { renderChatbot } from '../alerts/chatbot.ts';
import type { RenderContext } from '../alerts/context.ts';
import { safeJson, terminalText } from '../alerts/escape.ts';
import type { Alert } from '../alerts/format.ts';
import { renderSlack } from '../alerts/slack.ts';
import { renderEmail } from '../alerts/sns-message.ts';
import type { Finding } from '../model/types.ts';
import type { FindingSink } from '../sinks/types.ts';
import { SlackChannel } from './channels.ts';
import type { DeadLetter } from './dead-letter.ts';
import { emptyStats, type NotifyStats } from './metrics.ts';
import { Notifier, type NotifyLog } from './notifier.ts';
import { PacedChannel, SLACK_INTERVAL_MS, pacingEstimate } from './pacer.ts';
import { checkWebhookUrl } from './webhook-url.ts';
import { DEFAULT_RETRY, type DeliveryDeps, type RetryPolicy } from './webhook.ts';

/**
 * What the replay CLI needs to show and send alerts locally: the same renderers and the same Slack
 * delivery (retries, 429 handling) as the Lambda, without DynamoDB — replay reads each event once,
 * so there is nothing to de-duplicate, and every finding is sent at once.
 */

/** The rendered Slack JSON and e-mail (and optionally the Chatbot JSON) for each finding, as text for a terminal. */
export function renderAlertsForTerminal(findings: readonly Finding[], options: { chatbot?: boolean; context?: RenderContext } = {}): string {
  const parts: string[] = [];
  findings.forEach((finding, i) => {
    const alert: Alert = { kind: 'finding', finding };
    const email = renderEmail(alert, options.context);
    parts.push(
      `=== alert ${i + 1}/${findings.length}: ${finding.severity.toUpperCase()} ${terminalText(finding.detection, 100)} (event ${terminalText(finding.eventId, 200)}) ===`,
      '--- Slack (webhook body) ---',
      safeJson(renderSlack(alert, options.context), 2),
      '--- E-mail ---',
      `Subject: ${email.subject}`,
      '',
      email.text,
    );
    if (options.chatbot) parts.push('--- Amazon Q Developer / Chatbot ---', safeJson(renderChatbot(alert, options.context), 2));
    parts.push('');
  });
  return parts.join('\n');
}

export interface LocalSlackOptions {
  policy?: RetryPolicy;
  deps?: DeliveryDeps;
  /** Time between posts (default 1.1 s: Slack allows about one message per second per webhook). */
  intervalMs?: number;
  /** Account names (the tuning file's organization.accounts), as the Lambda renders them. */
  context?: RenderContext;
}

export interface LocalSlackResult {
  stats: NotifyStats;
  /** Alerts Slack refused after retries (locally there is no DLQ: the caller reports them and exits non-zero). */
  failed: DeadLetter[];
}

/** Posts one alert per finding to a Slack webhook URL given on the command line. Throws on an unusable URL. */
export async function sendFindingsToSlack(
  findings: readonly Finding[],
  webhookUrl: string,
  log: NotifyLog,
  options: LocalSlackOptions = {},
): Promise<LocalSlackResult> {
  const url = checkWebhookUrl(webhookUrl);
  const failed: DeadLetter[] = [];
  const slack = new SlackChannel(async () => url, options.policy ?? DEFAULT_RETRY, options.deps ?? {}, options.context);
  const pacerDeps = { ...(options.deps?.now ? { now: options.deps.now } : {}), ...(options.deps?.sleep ? { sleep: options.deps.sleep } : {}) };
  const notifier = new Notifier({
    channels: [new PacedChannel(slack, options.intervalMs ?? SLACK_INTERVAL_MS, pacerDeps)],
    deadLetters: { send: async (letter) => void failed.push(letter) },
    log,
  });
  const stats = await notifier.handle(findings, emptyStats());
  return { stats, failed };
}

/** `--show-alerts`: writes the rendered Slack JSON and e-mail of every finding to `out`. */
export class AlertPreviewSink implements FindingSink {
  readonly name = 'alert-preview';
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly options: { chatbot?: boolean; context?: RenderContext } = {},
  ) {}

  async publish(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    this.out.write(renderAlertsForTerminal(findings, this.options));
  }
}

/**
 * `--slack-webhook URL`: posts every finding to a real Slack webhook with the Lambda's renderer and
 * retry rules. Alerts Slack still refuses are listed on `report` and make `publish` throw (the sink
 * contract: deliver everything or fail), so the replay exits non-zero instead of hiding a loss.
 */
export class SlackWebhookSink implements FindingSink {
  readonly name = 'slack-webhook';
  readonly #url: string;
  constructor(
    url: string,
    private readonly report: NodeJS.WritableStream,
    private readonly log: NotifyLog,
    private readonly options: LocalSlackOptions = {},
  ) {
    this.#url = checkWebhookUrl(url);
  }

  async publish(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const toPost = findings.filter((f) => f.route !== 'record').length;
    const interval = this.options.intervalMs ?? SLACK_INTERVAL_MS;
    if (toPost > 1) this.report.write(`slack: posting ${toPost} alert(s), one every ${(interval / 1000).toFixed(1)} s (Slack's rate limit): ${pacingEstimate(toPost, interval)}\n`);
    const { stats, failed } = await sendFindingsToSlack(findings, this.#url, this.log, this.options);
    this.report.write(`slack: ${stats.alertsSent} of ${toPost} alert(s) posted${stats.recorded > 0 ? ` (${stats.recorded} routed to the record only, not posted)` : ''}\n`);
    if (failed.length > 0) {
      for (const letter of failed) {
        const id = letter.alert.kind === 'finding' ? `${letter.alert.finding.detection} ${letter.alert.finding.eventId}` : letter.alert.digest.detection;
        this.report.write(`slack: NOT delivered: ${id}: ${letter.failedChannels.map((c) => c.reason).join('; ')}\n`);
      }
      throw new Error(`${failed.length} alert(s) could not be delivered to Slack`);
    }
  }
}
