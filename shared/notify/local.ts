import { renderChatbot } from '../alerts/chatbot.ts';
import type { Alert } from '../alerts/format.ts';
import { renderSlack } from '../alerts/slack.ts';
import { renderEmail } from '../alerts/sns-message.ts';
import type { Finding } from '../model/types.ts';
import { SlackChannel } from './channels.ts';
import type { DeadLetter } from './dead-letter.ts';
import { emptyStats, type NotifyStats } from './metrics.ts';
import { Notifier, type NotifyLog } from './notifier.ts';
import { checkWebhookUrl } from './webhook-url.ts';
import { DEFAULT_RETRY, type DeliveryDeps, type RetryPolicy } from './webhook.ts';

/**
 * What the replay CLI needs to show and send alerts locally: the same renderers and the same Slack
 * delivery (retries, 429 handling) as the Lambda, without DynamoDB — replay reads each event once,
 * so there is nothing to de-duplicate, and every finding is sent at once.
 */

/** The rendered Slack JSON and e-mail (and optionally the Chatbot JSON) for each finding, as text for a terminal. */
export function renderAlertsForTerminal(findings: readonly Finding[], options: { chatbot?: boolean } = {}): string {
  const parts: string[] = [];
  findings.forEach((finding, i) => {
    const alert: Alert = { kind: 'finding', finding };
    const email = renderEmail(alert);
    parts.push(
      `=== alert ${i + 1}/${findings.length}: ${finding.severity.toUpperCase()} ${finding.detection} (event ${finding.eventId}) ===`,
      '--- Slack (webhook body) ---',
      JSON.stringify(renderSlack(alert), null, 2),
      '--- E-mail ---',
      `Subject: ${email.subject}`,
      '',
      email.text,
    );
    if (options.chatbot) parts.push('--- Amazon Q Developer / Chatbot ---', JSON.stringify(renderChatbot(alert), null, 2));
    parts.push('');
  });
  return parts.join('\n');
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
  options: { policy?: RetryPolicy; deps?: DeliveryDeps } = {},
): Promise<LocalSlackResult> {
  const url = checkWebhookUrl(webhookUrl);
  const failed: DeadLetter[] = [];
  const notifier = new Notifier({
    channels: [new SlackChannel(async () => url, options.policy ?? DEFAULT_RETRY, options.deps ?? {})],
    deadLetters: { send: async (letter) => void failed.push(letter) },
    log,
  });
  const stats = await notifier.handle(findings, emptyStats());
  return { stats, failed };
}
