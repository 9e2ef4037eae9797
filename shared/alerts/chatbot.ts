import type { Alert } from './format.ts';
import { SEVERITY_STYLE, analysisItems, cloudTrailEventUrl, digestSentence, humanTime, mfaWord, principalLabel, truncate } from './format.ts';

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

/** Markdown-significant characters in attacker-chosen values are neutralised. */
function md(text: string): string {
  return text.replace(/[`*_~<>]/g, (c) => `\\${c}`);
}

/**
 * Renders an alert as a custom notification. Findings of one detection and principal share a
 * `threadId` so follow-ups land in one chat thread.
 */
export function renderChatbot(alert: Alert): ChatbotNotification {
  if (alert.kind === 'digest') {
    const d = alert.digest;
    const style = SEVERITY_STYLE[d.severity];
    const lines = d.samples.slice(0, 5).map((f) => {
      const url = cloudTrailEventUrl(f);
      return `• ${md(humanTime(f.time))} ${md(truncate(f.title, 200))}${url ? ` (${url})` : ''}`;
    });
    return {
      version: '1.0',
      source: 'custom',
      id: `digest:${d.detection}:${d.principal}:${d.firstTime}`.slice(0, 200),
      content: {
        textType: 'client-markdown',
        title: `${style.emoji} ${style.word}: ${d.count} × ${d.detection}`,
        description: truncate(`${md(digestSentence(d))}\n${lines.join('\n')}`, 3500),
        nextSteps: d.samples[0]?.runbook ? [d.samples[0].runbook] : [],
        keywords: [style.word, d.detection],
      },
      metadata: {
        threadId: `${d.detection}:${d.principal}`.slice(0, 200),
        summary: truncate(`${style.word} ${digestSentence(d)}`, 300),
        eventType: d.detection,
        relatedResources: [d.principal],
        additionalContext: { count: String(d.count), firstTime: d.firstTime, lastTime: d.lastTime },
      },
    };
  }
  const f = alert.finding;
  const style = SEVERITY_STYLE[f.severity];
  const url = cloudTrailEventUrl(f);
  const grants = analysisItems(f.details)
    .slice(0, 5)
    .map((i) => `• ${md(i.id)}: ${md(truncate(i.message, 300))}`);
  const description = [
    md(f.title),
    `*Who:* ${md(principalLabel(f))} (${md(f.principal.type)}, MFA ${mfaWord(f)})`,
    `*Where:* account ${md(f.account)}, ${md(f.region)}, from ${md(f.sourceIp ?? 'unknown IP')}`,
    `*When:* ${md(humanTime(f.time))} — ${md(`${f.eventSource} ${f.eventName}`)}`,
    ...(grants.length > 0 ? ['*Risky grants:*', ...grants] : []),
    ...(url ? [`*Event:* ${url}`] : []),
  ];
  const related = [f.principal.arn, url].filter((x): x is string => typeof x === 'string' && x !== '');
  return {
    version: '1.0',
    source: 'custom',
    id: `${f.detection}:${f.eventId}`.slice(0, 200),
    content: {
      textType: 'client-markdown',
      title: `${style.emoji} ${style.word}: ${f.detection}`,
      description: truncate(description.join('\n'), 3500),
      nextSteps: f.runbook ? [f.runbook] : [],
      keywords: [style.word, f.detection, f.account],
    },
    metadata: {
      threadId: `${f.detection}:${principalLabel(f)}`.slice(0, 200),
      summary: truncate(`${style.word} ${f.title}`, 300),
      eventType: f.detection,
      relatedResources: related,
      additionalContext: { eventId: f.eventId, account: f.account, region: f.region, severity: f.severity },
    },
  };
}
