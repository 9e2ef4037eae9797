import type { Finding } from '../model/types.ts';
import type { Block, SlackMessage, TextObject } from './block-kit.ts';
import { LIMITS } from './block-kit.ts';
import { burstView } from './burst.ts';
import { accountName, type RenderContext } from './context.ts';
import { slackCode, slackCodeBlock, slackPlain, slackText, truncate } from './escape.ts';
import type { Alert, AlertDigest } from './format.ts';
import { SEVERITY_STYLE, analysisItems, detailFacts, digestSentence, humanTime, incidentNoteText, mfaWord, onceOnly, policyChangeLine, policyDocumentText, type IncidentPageNote } from './format.ts';
import { digestHeadline, headline } from './headline.ts';
import { cloudTrailEventUrl, principalActivityUrl, resourceUrl, type AlertLink } from './links.ts';
import { revertCommand } from './revert.ts';

/**
 * Slack Block Kit rendering. Every event-derived value goes through one of three escapes from
 * escape.ts: `slackPlain` into `plain_text` objects (sent with `emoji: false`), `slackCode` for
 * identifiers in inline code, `slackText` for values inside mrkdwn running text (including the
 * top-level `text` that push notifications and screen readers show). The only links are ours, to
 * the AWS console, with escaped labels.
 */

/** How many findings a digest lists by name before "and N more". */
export const DIGEST_SAMPLES = 5;
/** How many risky grants of a policy analysis are listed in one alert. */
const ANALYSIS_ITEMS = 6;

/** `&`, `<`, `>` as entities — for text we wrote ourselves (runbooks, labels); event values use escape.ts. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mrkdwn(text: string, max: number = LIMITS.sectionText): TextObject {
  return { type: 'mrkdwn', text: truncate(text, max) };
}

function plain(text: string, max: number): TextObject & { type: 'plain_text' } {
  return { type: 'plain_text', text: truncate(text, max) || ' ', emoji: false };
}

function field(label: string, value: string): TextObject {
  return mrkdwn(`*${label}*\n${value}`, LIMITS.fieldText);
}

/** `<url|label>` for one of our console links; the label is escaped (it may hold a resource name). */
function link(l: AlertLink | undefined): string | undefined {
  return l ? `<${l.url}|${slackText(l.label, 200)}>` : undefined;
}

/**
 * The event time in UTC plus Slack's date token, which each reader sees in their own time zone
 * (`<!date^epoch^{date_short_pretty} {time_secs}|fallback>`); just the escaped text when it does not parse.
 */
export function slackWhen(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return slackText(iso, 100);
  const utc = humanTime(iso);
  return `${utc}\n<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${utc}> your time`;
}

/** A time we format ourselves when it parses; otherwise the raw value, escaped. */
function timeText(iso: string): string {
  return Number.isNaN(Date.parse(iso)) ? slackText(iso, 60) : humanTime(iso);
}

/** `111122223333` plus its configured name. */
function accountValue(account: string, context: RenderContext | undefined): string {
  const name = accountName(account, context);
  return `${slackCode(account || 'unknown', 64)}${name ? ` ${slackText(name, 100)}` : ''}`;
}

/** "Who / where / when" fields shared by single alerts. */
function factFields(f: Finding, context: RenderContext | undefined): TextObject[] {
  const p = f.principal;
  const who = p.arn ? `${slackText(p.name, 200)}\n${slackCode(p.arn, 600)}` : slackText(p.name || 'unknown', 200);
  const fields = [
    field('Who', who),
    field('Principal type', slackText(p.type || 'Unknown', 100) + (p.sessionIssuerArn ? `\nvia ${slackCode(p.sessionIssuerArn, 600)}` : '')),
    field('MFA', mfaWord(f) === 'NO' ? '*NO*' : mfaWord(f)),
    field('When', slackWhen(f.time)),
    field('Account', accountValue(f.account, context)),
    field('Region', slackCode(f.region || 'unknown', 64)),
    field('Source IP', f.sourceIp ? slackCode(f.sourceIp, 200) : 'not reported'),
    field('API call', slackCode(`${f.eventSource} ${f.eventName}`, 300, { awsField: true })),
  ];
  if (p.accessKeyId) fields.push(field('Access key', slackCode(p.accessKeyId, 200)));
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
      lines.push(`• ${sev}${slackCode(item.id, 100)} ${slackText(item.message, 600)}`);
      for (const s of item.statements.slice(0, 2)) lines.push(`    ${slackCode(onceOnly(s, shown), 300)}`);
    }
    if (items.length > ANALYSIS_ITEMS) lines.push(`…and ${items.length - ANALYSIS_ITEMS} more`);
    return lines.join('\n');
  }
  const facts = detailFacts(f.details);
  if (facts.length === 0) return undefined;
  return ['*Why this fired*', ...facts.map((l) => `• ${slackText(l, 300)}`)].join('\n');
}

/** For policy changes: which policy, where, the new document (cut to fit), and how to revert it. */
function policyText(f: Finding): string | undefined {
  const line = policyChangeLine(f.details);
  if (!line) return undefined;
  const doc = policyDocumentText(f.details, 1500);
  const parts = [`*Policy change:* ${slackCode(line, 600)}`];
  if (doc) parts.push(slackCodeBlock(doc, 1500));
  const revert = revertCommand(f);
  if (revert) parts.push(`*To revert* (${slackText(revert.note, 300)}):`, `\`\`\`${escapeMrkdwn(revert.command)}\`\`\``);
  return parts.join('\n');
}

/** The rate burst: counts against normal, top APIs and source IPs, first/last event. */
function burstText(f: Finding): string | undefined {
  const b = burstView(f);
  if (!b) return undefined;
  const list = (items: Array<{ value: string; count: number }>, awsField = false): string =>
    items.map((i) => `${slackCode(i.value, 120, { awsField })} ×${i.count}`).join(', ') || 'not reported';
  const lines = [
    `*Burst:* ${b.observed} calls in one minute — ${escapeMrkdwn(b.normal)}${b.soFar ? `\n*Whole burst:* ${escapeMrkdwn(b.soFar)}` : ''}`,
    `*Top APIs:* ${list(b.topApis, true)}`,
    `*Source IPs:* ${list(b.topSourceIps)}`,
  ];
  if (b.topPrincipals.length > 0) lines.push(`*Top principals:* ${list(b.topPrincipals)}`);
  if (b.firstEventTime) lines.push(`*First / last event:* ${timeText(b.firstEventTime)} / ${timeText(b.lastEventTime ?? b.firstEventTime)}`);
  return lines.join('\n');
}

/** Our console links: the event (or the burst's window), the principal's activity, the resource. */
function linkLines(f: Finding): string | undefined {
  const b = burstView(f);
  const links: Array<string | undefined> = b
    ? [link(b.historyUrl ? { label: 'Burst window in CloudTrail event history (this principal)', url: b.historyUrl } : undefined), link(b.firstEventUrl ? { label: 'First event of the burst', url: b.firstEventUrl } : undefined)]
    : [link(((u) => (u ? { label: 'Open this event in CloudTrail event history', url: u } : undefined))(cloudTrailEventUrl(f)))];
  const activity = principalActivityUrl(f);
  if (!b && activity) links.push(link({ label: `All activity of ${f.principal.accessKeyId ? 'this access key' : 'this principal'}, 24 h before to 1 h after`, url: activity }));
  const res = resourceUrl(f);
  if (res) links.push(link({ label: `Affected: ${res.label}`, url: res.url }));
  const present = links.filter((l): l is string => l !== undefined);
  return present.length > 0 ? present.map((l) => `:mag: ${l}`).join('\n') : undefined;
}

function footer(f: Finding): Block {
  const refs = [...(f.references?.mitre ?? []).map((m) => `MITRE ${m}`), ...(f.references?.cis ?? []).slice(0, 1)];
  // A rate finding's id (`rate-…`) names the burst; it is not a CloudTrail event.
  const parts = [`Trailwatch · ${slackCode(f.detection, 100)} · ${burstView(f) ? 'burst' : 'event'} ${slackCode(f.eventId, 200)}`];
  if (refs.length > 0) parts.push(escapeMrkdwn(refs.join(' · ')));
  return { type: 'context', elements: parts.map((p) => mrkdwn(p)) };
}

function colourBar(severity: Finding['severity'], detection: string, extra: string): NonNullable<SlackMessage['attachments']> {
  const style = SEVERITY_STYLE[severity];
  return [
    {
      color: style.color,
      fallback: `${style.word} ${slackText(detection, 100)}`,
      blocks: [{ type: 'context', elements: [mrkdwn(`${style.emoji} *${style.word}* · ${slackText(detection, 100)} · ${extra}`)] }],
    },
  ];
}

/** Block Kit message for one finding: what happened, who, where, when, why, what to do, links. */
export function slackFindingMessage(f: Finding, context?: RenderContext, incident?: IncidentPageNote): SlackMessage {
  const style = SEVERITY_STYLE[f.severity];
  const what = headline(f);
  const blocks: Block[] = [
    { type: 'header', text: plain(`${style.word}: ${slackPlain(what, 200)}`, LIMITS.headerText) },
    // Why a known incident pages again: our own words and times only.
    ...(incident ? [{ type: 'section', text: mrkdwn(`:arrow_up: *${incidentNoteText(incident)}*`) } satisfies Block] : []),
    // plain_text, emoji off: the sentence embeds attacker-chosen names; nothing in it is parsed.
    { type: 'section', text: plain(slackPlain(f.title, LIMITS.sectionText), LIMITS.sectionText) },
    { type: 'section', fields: factFields(f, context) },
  ];
  if (f.userAgent) blocks.push({ type: 'context', elements: [mrkdwn(`User agent: ${slackCode(f.userAgent, 500)}`)] });
  for (const text of [burstText(f), policyText(f), explanationText(f)]) if (text) blocks.push({ type: 'section', text: mrkdwn(text) });
  if (f.runbook) blocks.push({ type: 'section', text: mrkdwn(`:point_right: *What to do now:* ${escapeMrkdwn(f.runbook)}`) });
  const links = linkLines(f);
  if (links) blocks.push({ type: 'section', text: mrkdwn(links) });
  blocks.push(footer(f));
  const name = accountName(f.account, context);
  return {
    text: truncate(`${style.word}: ${slackText(what, 300)} — ${slackText(f.title, 2000)}`, 3000),
    blocks,
    attachments: colourBar(f.severity, f.detection, `account ${slackCode(f.account, 64)}${name ? ` ${slackText(name, 100)}` : ''}`),
  };
}

/** Block Kit message for a digest (or the daily summary): how many, who, the first few with links, what to do. */
export function slackDigestMessage(d: AlertDigest, context?: RenderContext): SlackMessage {
  const style = SEVERITY_STYLE[d.severity];
  const first = d.samples[0];
  const title = digestHeadline(d);
  const blocks: Block[] = [
    { type: 'header', text: plain(`${style.word}: ${slackPlain(title, 200)}`, LIMITS.headerText) },
    { type: 'section', text: plain(slackPlain(digestSentence(d), LIMITS.sectionText), LIMITS.sectionText) },
  ];
  if (first && !d.summary) {
    blocks.push({
      type: 'section',
      fields: [
        field('Who', slackCode(d.principal, 600)),
        field('Principal type', slackText(first.principal.type, 100)),
        field('MFA', mfaWord(first)),
        field('Source IP', first.sourceIp ? slackCode(first.sourceIp, 200) : 'not reported'),
        field('Account', accountValue(first.account, context)),
        field('Region', slackCode(first.region, 64)),
      ],
    });
  }
  const lines = d.samples.slice(0, DIGEST_SAMPLES).map((f) => {
    const url = cloudTrailEventUrl(f);
    const when = timeText(f.time);
    const label = url ? `<${url}|${when}>` : when;
    return `• ${label} ${SEVERITY_STYLE[f.severity].word} ${slackText(headline(f), 200)} — ${slackText(f.title, 300)}`;
  });
  const more = d.count - Math.min(d.samples.length, DIGEST_SAMPLES);
  if (more > 0) lines.push(`…and ${more} more (search CloudTrail event history for this principal)`);
  if (lines.length > 0) blocks.push({ type: 'section', text: mrkdwn(`*First ${Math.min(d.samples.length, DIGEST_SAMPLES)}*\n${lines.join('\n')}`) });
  const activity = first && !d.summary ? principalActivityUrl(first) : undefined;
  if (activity) blocks.push({ type: 'section', text: mrkdwn(`:mag: ${link({ label: 'All activity of this principal, 24 h before to 1 h after the first', url: activity })}`) });
  if (first?.runbook && !d.summary) blocks.push({ type: 'section', text: mrkdwn(`:point_right: *What to do now:* ${escapeMrkdwn(first.runbook)}`) });
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        d.summary
          ? 'Trailwatch daily summary · findings routed `summary`: worth a look, not a page'
          : d.incident
            ? `Trailwatch follow-up · ${slackCode(d.detection, 100)} · findings of an incident already paged, grouped instead of paging again; a higher severity pages at once`
            : `Trailwatch digest · ${slackCode(d.detection, 100)} · grouped because they arrived together; critical findings are never grouped`,
      ),
    ],
  });
  return {
    text: truncate(`${style.word}: ${d.summary ? '' : `${slackText(title, 300)} — `}${digestSentence(d, (v) => slackText(v, 600))}`, 3000),
    blocks,
    attachments: colourBar(d.severity, d.summary ? 'daily summary' : d.detection, `${d.count} findings`),
  };
}

/** Renders any alert for Slack. */
export function renderSlack(alert: Alert, context?: RenderContext): SlackMessage {
  return alert.kind === 'finding' ? slackFindingMessage(alert.finding, context, alert.incident) : slackDigestMessage(alert.digest, context);
}
