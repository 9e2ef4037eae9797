import type { Finding } from '../model/types.ts';
import type { Block, SlackMessage, TextObject } from './block-kit.ts';
import { LIMITS } from './block-kit.ts';
import type { Alert, AlertDigest } from './format.ts';
import {
  SEVERITY_STYLE,
  analysisItems,
  cloudTrailEventUrl,
  detailFacts,
  digestSentence,
  humanTime,
  mfaWord,
  onceOnly,
  policyChangeLine,
  policyDocumentText,
  truncate,
} from './format.ts';

/** How many findings a digest lists by name before "and N more". */
export const DIGEST_SAMPLES = 5;
/** How many risky grants of a policy analysis are listed in one alert. */
const ANALYSIS_ITEMS = 6;

/**
 * Escapes text for Slack mrkdwn. Principal names, user agents and session names are chosen by
 * whoever made the API call — i.e. possibly the attacker — so `<!channel>` or a fake `<url|link>`
 * must arrive as inert text.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inline code span that cannot be broken out of by a backtick in the value. */
function code(text: string): string {
  return `\`${escapeMrkdwn(text).replace(/`/g, 'ˋ')}\``;
}

function mrkdwn(text: string, max: number = LIMITS.sectionText): TextObject {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

function plain(text: string, max: number): TextObject & { type: 'plain_text' } {
  return { type: 'plain_text', text: truncate(text, max), emoji: true };
}

function field(label: string, value: string): TextObject {
  return mrkdwn(`*${label}*\n${value}`, LIMITS.fieldText);
}

function link(url: string | undefined, label: string): string | undefined {
  return url ? `<${url}|${label}>` : undefined;
}

/**
 * The event time in UTC plus Slack's date token, which each reader sees in their own time zone
 * (`<!date^epoch^{date_short_pretty} {time_secs}|fallback>`); just the raw text when it does not parse.
 */
export function slackWhen(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  const utc = humanTime(iso);
  return `${utc}\n<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${utc}> your time`;
}

/** "Who / where / when" fields shared by single alerts. */
function factFields(f: Finding): TextObject[] {
  const p = f.principal;
  const who = p.arn ? `${escapeMrkdwn(p.name)}\n${code(p.arn)}` : escapeMrkdwn(p.name || 'unknown');
  const fields = [
    field('Who', who),
    field('Principal type', escapeMrkdwn(p.type || 'Unknown') + (p.sessionIssuerArn ? `\nvia ${code(p.sessionIssuerArn)}` : '')),
    field('MFA', mfaWord(f) === 'NO' ? '*NO*' : mfaWord(f)),
    field('When', slackWhen(f.time)),
    field('Account', code(f.account || 'unknown')),
    field('Region', code(f.region || 'unknown')),
    field('Source IP', f.sourceIp ? code(f.sourceIp) : 'not reported'),
    field('API call', code(`${f.eventSource} ${f.eventName}`)),
  ];
  if (p.accessKeyId) fields.push(field('Access key', code(p.accessKeyId)));
  return fields;
}

/** The detection's explanation: policy-engine grants when present, else the detection's own facts. */
function explanationText(f: Finding): string | undefined {
  const items = analysisItems(f.details);
  if (items.length > 0) {
    const lines = [`*Risky grants found (${items.length})*`];
    const shown = new Set<string>();
    for (const item of items.slice(0, ANALYSIS_ITEMS)) {
      const sev = item.severity ? `${SEVERITY_STYLE[item.severity].word} ` : '';
      lines.push(`• ${sev}${code(item.id)} ${escapeMrkdwn(item.message)}`);
      for (const s of item.statements.slice(0, 2)) lines.push(`    ${code(truncate(onceOnly(s, shown), 300))}`);
    }
    if (items.length > ANALYSIS_ITEMS) lines.push(`…and ${items.length - ANALYSIS_ITEMS} more`);
    return lines.join('\n');
  }
  const facts = detailFacts(f.details);
  if (facts.length === 0) return undefined;
  return ['*Why this fired*', ...facts.map((l) => `• ${escapeMrkdwn(l)}`)].join('\n');
}

/** For policy changes: which policy, where, and the new document (cut to fit). */
function policyText(f: Finding): string | undefined {
  const line = policyChangeLine(f.details);
  if (!line) return undefined;
  const doc = policyDocumentText(f.details, 1500);
  return [`*Policy change:* ${code(line)}`, ...(doc ? [`\`\`\`${escapeMrkdwn(doc).replace(/```/g, 'ˋˋˋ')}\`\`\``] : [])].join('\n');
}

function footer(f: Finding): Block {
  const refs = [...(f.references?.mitre ?? []).map((m) => `MITRE ${m}`), ...(f.references?.cis ?? []).slice(0, 1)];
  const parts = [`Trailwatch · ${code(f.detection)} · event ${code(f.eventId)}`];
  if (refs.length > 0) parts.push(escapeMrkdwn(refs.join(' · ')));
  return { type: 'context', elements: parts.map((p) => mrkdwn(p)) };
}

function colourBar(severity: Finding['severity'], detection: string, extra: string): NonNullable<SlackMessage['attachments']> {
  const style = SEVERITY_STYLE[severity];
  return [
    {
      color: style.color,
      fallback: `${style.word} ${detection}`,
      blocks: [{ type: 'context', elements: [mrkdwn(`*${style.word}* · ${escapeMrkdwn(detection)} · ${extra}`)] }],
    },
  ];
}

/** Block Kit message for one finding: severity, what, who, where, when, why, what to do, link. */
export function slackFindingMessage(f: Finding): SlackMessage {
  const style = SEVERITY_STYLE[f.severity];
  const url = cloudTrailEventUrl(f);
  const blocks: Block[] = [
    { type: 'header', text: plain(`${style.word}: ${f.detection}`, LIMITS.headerText) },
    // plain_text: the sentence embeds attacker-chosen names and literal `*`; nothing in it is parsed.
    { type: 'section', text: plain(`${style.emoji} ${f.title}`, LIMITS.sectionText) },
    { type: 'section', fields: factFields(f) },
  ];
  if (f.userAgent) blocks.push({ type: 'context', elements: [mrkdwn(`User agent: ${code(truncate(f.userAgent, 500))}`)] });
  const policy = policyText(f);
  if (policy) blocks.push({ type: 'section', text: mrkdwn(policy) });
  const why = explanationText(f);
  if (why) blocks.push({ type: 'section', text: mrkdwn(why) });
  if (f.runbook) blocks.push({ type: 'section', text: mrkdwn(`:point_right: *What to do now:* ${escapeMrkdwn(f.runbook)}`) });
  const eventLink = link(url, 'Open this event in CloudTrail event history');
  if (eventLink) blocks.push({ type: 'section', text: mrkdwn(`:mag: ${eventLink}`) });
  blocks.push(footer(f));
  return {
    text: truncate(`${style.word} ${f.detection}: ${f.title}`, 3000),
    blocks,
    attachments: colourBar(f.severity, f.detection, `account ${escapeMrkdwn(f.account)}`),
  };
}

/** Block Kit message for a digest: how many, who, the first few with links, what to do. */
export function slackDigestMessage(d: AlertDigest): SlackMessage {
  const style = SEVERITY_STYLE[d.severity];
  const first = d.samples[0];
  const blocks: Block[] = [
    { type: 'header', text: plain(`${style.word}: ${d.count} × ${d.detection}`, LIMITS.headerText) },
    { type: 'section', text: plain(`${style.emoji} ${digestSentence(d)}`, LIMITS.sectionText) },
  ];
  if (first) {
    blocks.push({
      type: 'section',
      fields: [
        field('Who', code(d.principal)),
        field('Principal type', escapeMrkdwn(first.principal.type)),
        field('MFA', mfaWord(first)),
        field('Source IP', first.sourceIp ? code(first.sourceIp) : 'not reported'),
        field('Account', code(first.account)),
        field('Region', code(first.region)),
      ],
    });
  }
  const lines = d.samples.slice(0, DIGEST_SAMPLES).map((f) => {
    const url = cloudTrailEventUrl(f);
    const when = escapeMrkdwn(humanTime(f.time));
    const what = escapeMrkdwn(truncate(f.title, 300));
    return `• ${url ? `<${url}|${when}>` : when} ${SEVERITY_STYLE[f.severity].word} ${what}`;
  });
  const more = d.count - Math.min(d.samples.length, DIGEST_SAMPLES);
  if (more > 0) lines.push(`…and ${more} more (search CloudTrail event history for this principal)`);
  if (lines.length > 0) blocks.push({ type: 'section', text: mrkdwn(`*First ${Math.min(d.samples.length, DIGEST_SAMPLES)}*\n${lines.join('\n')}`) });
  if (first?.runbook) blocks.push({ type: 'section', text: mrkdwn(`:point_right: *What to do now:* ${escapeMrkdwn(first.runbook)}`) });
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`Trailwatch digest · ${code(d.detection)} · grouped because they arrived together; critical findings are never grouped`)],
  });
  return {
    text: truncate(`${style.word} ${digestSentence(d)}`, 3000),
    blocks,
    attachments: colourBar(d.severity, d.detection, `${d.count} findings`),
  };
}

/** Renders any alert for Slack. */
export function renderSlack(alert: Alert): SlackMessage {
  return alert.kind === 'finding' ? slackFindingMessage(alert.finding) : slackDigestMessage(alert.digest);
}
