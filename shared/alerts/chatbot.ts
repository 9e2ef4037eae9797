import { burstView } from './burst.ts';
import { accountName, type RenderContext } from './context.ts';
import { chatbotAwsText, chatbotText, flatten, truncate } from './escape.ts';
import type { Alert } from './format.ts';
import { SEVERITY_STYLE, analysisItems, digestSentence, humanTime, incidentNoteText, mfaWord, principalLabel } from './format.ts';
import { digestHeadline, headline } from './headline.ts';
import { cloudTrailEventUrl, principalActivityUrl, resourceUrl } from './links.ts';
import { revertCommand } from './revert.ts';

/**
 * Amazon Q Developer in chat applications (formerly AWS Chatbot) custom notification: the JSON an
 * SNS topic mapped to a chat channel must carry — free-form SNS text is dropped by the service.
 * `version` must be "1.0" and `source` "custom"; only `client-markdown` is supported as textType.
 */
export interface ChatbotNotification {
  version: '1.0';
  source: 'custom';
  id?: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps?: string[];
    keywords?: string[];
  };
  metadata?: {
    threadId?: string;
    summary?: string;
    eventType?: string;
    relatedResources?: string[];
    additionalContext?: Record<string, string>;
  };
}

/** Our own times (formatted from a parsed date) need no escaping; anything else is event text. */
function when(iso: string): string {
  return Number.isNaN(Date.parse(iso)) ? chatbotText(iso, 60) : humanTime(iso);
}

function account(id: string, context: RenderContext | undefined): string {
  const name = accountName(id, context);
  return `${chatbotText(id, 64)}${name ? ` (${chatbotText(name, 100)})` : ''}`;
}

/**
 * Renders an alert as a custom notification. Every event-derived value — in the title, the
 * description, next steps and `metadata.summary` — goes through `chatbotText` (escape.ts). Links are
 * ours (AWS console) and appear as bare URLs. Findings of one detection and principal share a
 * `threadId` so follow-ups land in one chat thread.
 */
export function renderChatbot(alert: Alert, context?: RenderContext): ChatbotNotification {
  if (alert.kind === 'digest') {
    const d = alert.digest;
    const style = SEVERITY_STYLE[d.severity];
    const lines = d.samples.slice(0, 5).map((f) => {
      const url = cloudTrailEventUrl(f);
      return `• ${when(f.time)} ${chatbotText(headline(f), 200)} — ${chatbotText(f.title, 200)}${url ? ` (${url})` : ''}`;
    });
    const title = digestHeadline(d);
    return {
      version: '1.0',
      source: 'custom',
      id: chatbotId(`digest:${d.detection}:${d.principal}:${d.firstTime}`),
      content: {
        textType: 'client-markdown',
        title: `${style.emoji} ${style.word}: ${chatbotText(title, 200)}`,
        description: truncate(
          [digestSentence(d, (v) => chatbotText(v, 600)), ...(d.samples[0] && !d.summary ? [`*Where:* account ${account(d.samples[0].account, context)}, ${chatbotText(d.samples[0].region, 64)}`] : []), ...lines].join('\n'),
          3500,
        ),
        nextSteps: d.samples[0]?.runbook && !d.summary ? [chatbotText(d.samples[0].runbook, 1000)] : [],
        keywords: [style.word, chatbotText(d.detection, 100)],
      },
      metadata: {
        threadId: chatbotId(`${d.detection}:${d.principal}`),
        summary: `${style.word}: ${chatbotText(title, 100)} — ${digestSentence(d, (v) => chatbotText(v, 100))}`,
        eventType: d.detection,
        relatedResources: [chatbotText(d.principal, 600)],
        additionalContext: { count: String(d.count), firstTime: d.firstTime, lastTime: d.lastTime },
      },
    };
  }
  const f = alert.finding;
  const style = SEVERITY_STYLE[f.severity];
  const url = cloudTrailEventUrl(f);
  const burst = burstView(f);
  const grants = analysisItems(f.details)
    .slice(0, 5)
    .map((i) => `• ${chatbotText(i.id, 100)}: ${chatbotText(i.message, 300)}`);
  const revert = revertCommand(f);
  const res = resourceUrl(f);
  const activity = principalActivityUrl(f);
  const awsText = chatbotAwsText;
  const list = (items: Array<{ value: string; count: number }>, text = chatbotText): string => items.map((i) => `${text(i.value, 120)} ×${i.count}`).join(', ') || 'not reported';
  const description = [
    ...(alert.incident ? [`*${incidentNoteText(alert.incident)}*`] : []),
    chatbotText(f.title, 1000),
    `*Who:* ${chatbotText(principalLabel(f), 600)} (${chatbotText(f.principal.type, 100)}, MFA ${mfaWord(f)})`,
    `*Where:* account ${account(f.account, context)}, ${chatbotText(f.region, 64)}, from ${chatbotText(f.sourceIp ?? 'unknown IP', 200)}`,
    `*When:* ${when(f.time)} — ${awsText(`${f.eventSource} ${f.eventName}`, 300)}`,
    ...(burst
      ? [
          `*Burst:* ${burst.observed} calls in one minute — ${chatbotText(burst.normal, 200)}`,
          ...(burst.soFar ? [`*Whole burst:* ${chatbotText(burst.soFar, 200)}`] : []),
          `*Top APIs:* ${list(burst.topApis, awsText)}`,
          `*Source IPs:* ${list(burst.topSourceIps)}`,
          ...(burst.firstEventTime ? [`*First / last event:* ${when(burst.firstEventTime)} / ${when(burst.lastEventTime ?? burst.firstEventTime)}`] : []),
          ...(burst.historyUrl ? [`*Burst in CloudTrail:* ${burst.historyUrl}`] : []),
        ]
      : []),
    ...(grants.length > 0 ? ['*Risky grants:*', ...grants] : []),
    ...(revert ? [`*To revert:* \`${revert.command.replace(/`/g, '')}\``] : []),
    ...(url ? [`*Event:* ${url}`] : []),
    ...(activity && !burst ? [`*Principal activity:* ${activity}`] : []),
    ...(res ? [`*Affected:* ${chatbotText(res.label, 200)} ${res.url}`] : []),
  ];
  const related = [f.principal.arn ? chatbotText(f.principal.arn, 600) : undefined, url].filter((x): x is string => typeof x === 'string' && x !== '');
  return {
    version: '1.0',
    source: 'custom',
    id: chatbotId(`${f.detection}:${f.eventId}`),
    content: {
      textType: 'client-markdown',
      title: `${style.emoji} ${style.word}: ${chatbotText(headline(f), 200)}`,
      description: truncate(description.join('\n'), 3500),
      nextSteps: f.runbook ? [chatbotText(f.runbook, 1000)] : [],
      keywords: [style.word, chatbotText(f.detection, 100), chatbotText(f.account, 64)],
    },
    metadata: {
      threadId: chatbotId(`${f.detection}:${principalLabel(f)}`),
      summary: `${style.word}: ${chatbotText(headline(f), 100)} — ${chatbotText(f.title, 180)}`,
      eventType: f.detection,
      relatedResources: related,
      additionalContext: { eventId: chatbotText(f.eventId, 200), account: chatbotText(f.account, 64), region: chatbotText(f.region, 64), severity: f.severity },
    },
  };
}

/** Ids and thread ids: event text, so made one line and limited to 200 characters (never split mid-character). */
function chatbotId(raw: string): string {
  return truncate(flatten(raw), 200);
}
