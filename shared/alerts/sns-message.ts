import type { Finding } from '../model/types.ts';
import { burstView } from './burst.ts';
import { accountName, type RenderContext } from './context.ts';
import { awsFieldText, mailText, safeJson, subjectText, truncate } from './escape.ts';
import type { Alert, AlertDigest, IncidentPageNote } from './format.ts';
import { SEVERITY_STYLE, analysisItems, detailFacts, digestSentence, humanTime, incidentNoteText, mfaWord, onceOnly, policyChangeLine, policyDocumentText, principalLabel } from './format.ts';
import { digestHeadline, digestWho, headline } from './headline.ts';
import { cloudTrailEventUrl, principalActivityUrl, resourceUrl } from './links.ts';
import { revertCommand } from './revert.ts';
import { DIGEST_SAMPLES } from './slack.ts';

/** What the SNS sink publishes for one finding (`MessageStructure: "json"`). */
export interface SnsAlertMessage {
  Subject: string;
  /** JSON object as a string: `default` (plain text) plus per-protocol bodies. */
  Message: string;
  MessageStructure: 'json';
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/** SNS rejects e-mail subjects over 100 characters. */
export const SUBJECT_LIMIT = 100;

/**
 * Makes a string safe for an SNS subject: ASCII printable only (SNS rejects control characters;
 * non-ASCII is replaced so a crafted session name cannot break the publish), at most `SUBJECT_LIMIT`.
 */
export function cleanSubject(raw: string): string {
  const clean = subjectText(raw);
  return clean.length <= SUBJECT_LIMIT ? clean : `${clean.slice(0, SUBJECT_LIMIT - 3)}...`;
}

/** `111122223333 (prod)` when the account has a configured name. */
function accountWithName(id: string, context: RenderContext | undefined): string {
  const name = accountName(id, context);
  return `${mailText(id, 64)}${name ? ` (${mailText(name, 100)})` : ''}`;
}

/**
 * E-mail subject: severity first (inbox rules and eyes sort on it), then what happened and the
 * account, e.g. `[CRITICAL] admin granted to user ci-deployer in 111122223333 (prod)`. Always ≤ 100
 * chars: what happened is shortened before the severity or account would be.
 */
export function emailSubject(finding: Finding, context?: RenderContext): string {
  const head = `[${SEVERITY_STYLE[finding.severity]?.word ?? 'ALERT'}] `;
  const tail = ` in ${subjectText(accountWithName(finding.account, context))}`;
  const room = SUBJECT_LIMIT - head.length - tail.length;
  const what = truncate(subjectText(headline(finding)), Math.max(20, room)).replace(/…$/, '~');
  return cleanSubject(`${head}${what}${tail}`);
}

function wrapIndent(label: string, value: string): string {
  return `${label.padEnd(15)} ${value}`;
}

/** Our own time when it parses; the raw value made safe otherwise. */
function timeText(iso: string): string {
  return Number.isNaN(Date.parse(iso)) ? mailText(iso, 60) : humanTime(iso);
}

/** The explanation section (policy-engine grants or the detection's facts) as plain-text lines. */
function explanationLines(finding: Finding): string[] {
  const items = analysisItems(finding.details);
  if (items.length > 0) {
    const lines = ['WHY IT MATTERS - risky grants found:'];
    const shown = new Set<string>();
    for (const item of items.slice(0, 10)) {
      lines.push(`  - ${item.severity ? `[${item.severity.toUpperCase()}] ` : ''}${mailText(item.id, 100)}: ${mailText(item.message, 600)}`);
      for (const s of item.statements.slice(0, 2)) lines.push(`      ${mailText(onceOnly(s, shown), 400)}`);
    }
    if (items.length > 10) lines.push(`  ...and ${items.length - 10} more`);
    return lines;
  }
  const facts = detailFacts(finding.details);
  return facts.length > 0 ? ['WHY IT FIRED:', ...facts.map((f) => `  - ${mailText(f, 300)}`)] : [];
}

/** The burst section of a rate finding. */
function burstLines(finding: Finding): string[] {
  const b = burstView(finding);
  if (!b) return [];
  const list = (items: Array<{ value: string; count: number }>, text = mailText): string => items.map((i) => `${text(i.value, 120)} x${i.count}`).join(', ') || 'not reported';
  const lines = ['', 'BURST', wrapIndent('  This minute', `${b.observed} calls (${b.normal})`)];
  if (b.soFar) lines.push(wrapIndent('  Whole burst', b.soFar));
  lines.push(wrapIndent('  Top APIs', list(b.topApis, awsFieldText)), wrapIndent('  Source IPs', list(b.topSourceIps)));
  if (b.topPrincipals.length > 0) lines.push(wrapIndent('  Principals', list(b.topPrincipals)));
  if (b.firstEventTime) lines.push(wrapIndent('  First event', timeText(b.firstEventTime)), wrapIndent('  Last event', timeText(b.lastEventTime ?? b.firstEventTime)));
  return lines;
}

/** A readable plain-text body for e-mail subscribers: what, who, where, when, why, what to do, links. */
export function emailText(finding: Finding, context?: RenderContext, incident?: IncidentPageNote): string {
  const style = SEVERITY_STYLE[finding.severity];
  const p = finding.principal;
  const url = cloudTrailEventUrl(finding);
  const lines = [
    `${style?.word ?? 'ALERT'}: ${mailText(headline(finding), 300)}`,
    ...(incident ? [incidentNoteText(incident)] : []),
    mailText(finding.title, 1000),
    '',
    'WHO',
    wrapIndent('  Principal', mailText(principalLabel(finding), 600)),
    wrapIndent('  Type', `${mailText(p.type, 100)}${p.sessionIssuerArn ? ` (session of ${mailText(p.sessionIssuerArn, 600)})` : ''}`),
    wrapIndent('  MFA', mfaWord(finding)),
  ];
  if (p.accessKeyId) lines.push(wrapIndent('  Access key', mailText(p.accessKeyId, 200)));
  lines.push(
    '',
    'WHERE',
    wrapIndent('  Account', accountWithName(finding.account, context)),
    wrapIndent('  Region', mailText(finding.region, 64)),
    wrapIndent('  Source IP', finding.sourceIp ? mailText(finding.sourceIp, 200) : 'not reported'),
    wrapIndent('  User agent', finding.userAgent ? mailText(finding.userAgent, 300) : 'not reported'),
    '',
    'WHEN',
    wrapIndent('  Time', timeText(finding.time)),
    wrapIndent('  API call', awsFieldText(`${finding.eventSource} ${finding.eventName}`, 300)),
    wrapIndent(burstView(finding) ? '  Burst id' : '  Event id', mailText(finding.eventId, 200)),
  );
  lines.push(...burstLines(finding));
  const change = policyChangeLine(finding.details);
  if (change) {
    lines.push('', 'POLICY CHANGE', `  ${mailText(change, 600)}`);
    const doc = policyDocumentText(finding.details, 3000);
    if (doc) lines.push(`  New document: ${mailText(doc, 3000)}`);
    const revert = revertCommand(finding);
    if (revert) lines.push(`  To revert (${mailText(revert.note, 300)}):`, `    ${revert.command}`);
  }
  const why = explanationLines(finding);
  if (why.length > 0) lines.push('', ...why);
  if (finding.runbook) lines.push('', 'WHAT TO DO NOW', `  ${mailText(finding.runbook, 2000)}`);
  const burst = burstView(finding);
  const links: string[] = [];
  if (burst?.historyUrl) links.push(wrapIndent('  Burst window', burst.historyUrl));
  if (burst?.firstEventUrl) links.push(wrapIndent('  First event', burst.firstEventUrl));
  if (url) links.push(wrapIndent('  This event', url));
  const activity = principalActivityUrl(finding);
  if (activity && !burst) links.push(wrapIndent('  Principal', activity));
  const res = resourceUrl(finding);
  if (res) links.push(wrapIndent('  Affected', `${res.url}`));
  if (links.length > 0) lines.push('', 'LINKS (AWS console)', ...links);
  lines.push('', `-- Trailwatch detection ${mailText(finding.detection, 100)}`);
  return lines.join('\n');
}

/**
 * E-mail subject for a digest: what happened, with the count, and by whom, e.g.
 * `[HIGH] 300 findings: policy changed on role app; ... by terraform`. ≤ 100 chars: what happened is shortened first.
 */
export function digestSubject(digest: AlertDigest, context?: RenderContext): string {
  const head = `[${SEVERITY_STYLE[digest.severity].word}] `;
  if (digest.summary) return cleanSubject(`${head}Trailwatch daily summary ${digest.summary.day}: ${digest.count} finding(s)`);
  const account = digest.samples[0]?.account;
  const tail = ` by ${truncate(subjectText(digestWho(digest)), 30).replace(/…$/, '~')}${account ? ` in ${subjectText(accountWithName(account, context))}` : ''}`;
  const room = SUBJECT_LIMIT - head.length - tail.length;
  const what = truncate(subjectText(digestHeadline(digest).replace(' × ', ' x ').replace(/…/g, '...')), Math.max(20, room)).replace(/…$/, '~');
  return cleanSubject(`${head}${what}${tail}`);
}

/** Plain-text digest: the count and span, the account, the first few findings with links, what to do. */
export function digestEmailText(digest: AlertDigest, context?: RenderContext): string {
  const lines = [`${SEVERITY_STYLE[digest.severity].word}: ${mailText(digestHeadline(digest), 300)}`, mailText(digestSentence(digest), 2000)];
  const first = digest.samples[0];
  if (first && !digest.summary) lines.push('', wrapIndent('  Account', accountWithName(first.account, context)), wrapIndent('  Region', mailText(first.region, 64)));
  lines.push('', `FIRST ${Math.min(DIGEST_SAMPLES, digest.samples.length)}`);
  for (const f of digest.samples.slice(0, DIGEST_SAMPLES)) {
    lines.push(`  - ${timeText(f.time)} [${f.severity.toUpperCase()}] ${mailText(headline(f), 200)}: ${mailText(f.title, 600)}`);
    const url = cloudTrailEventUrl(f);
    if (url) lines.push(`    ${url}`);
  }
  const more = digest.count - Math.min(DIGEST_SAMPLES, digest.samples.length);
  if (more > 0) lines.push(`  ...and ${more} more`);
  const runbook = digest.samples[0]?.runbook;
  if (runbook && !digest.summary) lines.push('', 'WHAT TO DO NOW', `  ${mailText(runbook, 2000)}`);
  lines.push(
    '',
    digest.summary
      ? '-- Trailwatch daily summary: findings routed to the summary, not paged'
      : digest.incident
        ? `-- Trailwatch follow-up of ${mailText(digest.detection, 100)}: findings of an incident already paged; a higher severity pages at once`
        : `-- Trailwatch digest of ${mailText(digest.detection, 100)}; critical findings are always sent one by one`,
  );
  return lines.join('\n');
}

/** Subject + body for any alert. */
export function renderEmail(alert: Alert, context?: RenderContext): { subject: string; text: string } {
  return alert.kind === 'finding'
    ? { subject: emailSubject(alert.finding, context), text: emailText(alert.finding, context, alert.incident) }
    : { subject: digestSubject(alert.digest, context), text: digestEmailText(alert.digest, context) };
}

/** The SNS Publish input for one finding: plain text by default, the finding as JSON for machines. */
export function buildSnsMessage(finding: Finding): SnsAlertMessage {
  const json = safeJson(finding);
  const text = emailText(finding);
  return {
    Subject: emailSubject(finding),
    Message: JSON.stringify({ default: text, email: text, 'email-json': json, lambda: json, https: json, sqs: json }),
    MessageStructure: 'json',
    MessageAttributes: {
      severity: { DataType: 'String', StringValue: finding.severity },
      detection: { DataType: 'String', StringValue: finding.detection },
      kind: { DataType: 'String', StringValue: 'finding' },
    },
  };
}

/** The alert without per-finding details (kept: who, what, where, when, links). */
export function slimAlert(alert: Alert): Alert {
  const slim = (f: Finding): Finding => ({ ...f, details: { note: 'details omitted for size; see the event in CloudTrail' } });
  return alert.kind === 'finding'
    ? { ...alert, finding: slim(alert.finding) }
    : { kind: 'digest', digest: { ...alert.digest, samples: alert.digest.samples.map(slim) } };
}

/**
 * The SNS Publish input for an alert the notifier has already de-duplicated and grouped (a single
 * finding or a digest), for e-mail subscribers. It is tagged `kind=alert`: e-mail subscriptions
 * filter on `kind=alert`, the notifier's own subscription on `kind=finding`, so nothing loops and
 * e-mail gets exactly what Slack gets (see docs/alerts.md).
 */
export function buildAlertSnsMessage(alert: Alert, context?: RenderContext): SnsAlertMessage {
  const { subject, text } = renderEmail(alert, context);
  // SNS messages are ≤ 256 KB: only e-mail protocols read this message, and the JSON copy drops
  // finding details when it would not fit comfortably.
  let json = safeJson(alert);
  if (json.length > 100_000) json = safeJson(slimAlert(alert));
  const severity = alert.kind === 'finding' ? alert.finding.severity : alert.digest.severity;
  const detection = alert.kind === 'finding' ? alert.finding.detection : alert.digest.detection;
  return {
    Subject: subject,
    Message: JSON.stringify({ default: text, email: text, 'email-json': json }),
    MessageStructure: 'json',
    MessageAttributes: {
      severity: { DataType: 'String', StringValue: severity },
      detection: { DataType: 'String', StringValue: detection },
      kind: { DataType: 'String', StringValue: 'alert' },
    },
  };
}
