import type { Finding } from '../model/types.ts';
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
  principalLabel,
  principalShortName,
  truncate,
} from './format.ts';
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
  const clean = raw.replace(/[^\x20-\x7e]/g, '?').replace(/\s+/g, ' ').trim();
  return clean.length <= SUBJECT_LIMIT ? clean : `${clean.slice(0, SUBJECT_LIMIT - 3)}...`;
}

/**
 * E-mail subject: severity first (inbox rules and eyes sort on it), then detection, principal and
 * account, e.g. `[CRITICAL] root-signin by 111122223333 in 111122223333`. Always ≤ 100 chars:
 * the principal is shortened before the severity or detection would be.
 */
export function emailSubject(finding: Finding): string {
  const head = `[${SEVERITY_STYLE[finding.severity]?.word ?? 'ALERT'}] ${finding.detection}`;
  const tail = ` in ${finding.account}`;
  const room = SUBJECT_LIMIT - head.length - tail.length - ' by '.length;
  const who = truncate(principalShortName(finding).replace(/[^\x20-\x7e]/g, '?'), Math.max(8, room)).replace(/…$/, '~');
  return cleanSubject(`${head} by ${who}${tail}`);
}

function wrapIndent(label: string, value: string): string {
  return `${label.padEnd(14)}${value}`;
}

/** The explanation section (policy-engine grants or the detection's facts) as plain-text lines. */
function explanationLines(finding: Finding): string[] {
  const items = analysisItems(finding.details);
  if (items.length > 0) {
    const lines = ['WHY IT MATTERS - risky grants found:'];
    const shown = new Set<string>();
    for (const item of items.slice(0, 10)) {
      lines.push(`  - ${item.severity ? `[${item.severity.toUpperCase()}] ` : ''}${item.id}: ${truncate(item.message, 600)}`);
      for (const s of item.statements.slice(0, 2)) lines.push(`      ${truncate(onceOnly(s, shown), 400)}`);
    }
    if (items.length > 10) lines.push(`  ...and ${items.length - 10} more`);
    return lines;
  }
  const facts = detailFacts(finding.details);
  return facts.length > 0 ? ['WHY IT FIRED:', ...facts.map((f) => `  - ${f}`)] : [];
}

/** A readable plain-text body for e-mail subscribers: what, who, where, when, why, what to do, link. */
export function emailText(finding: Finding): string {
  const style = SEVERITY_STYLE[finding.severity];
  const p = finding.principal;
  const url = cloudTrailEventUrl(finding);
  const lines = [
    `${style?.word ?? 'ALERT'}: ${truncate(finding.title, 1000)}`,
    '',
    'WHO',
    wrapIndent('  Principal', truncate(principalLabel(finding), 600)),
    wrapIndent('  Type', `${p.type}${p.sessionIssuerArn ? ` (session of ${p.sessionIssuerArn})` : ''}`),
    wrapIndent('  MFA', mfaWord(finding)),
  ];
  if (p.accessKeyId) lines.push(wrapIndent('  Access key', p.accessKeyId));
  lines.push(
    '',
    'WHERE',
    wrapIndent('  Account', finding.account),
    wrapIndent('  Region', finding.region),
    wrapIndent('  Source IP', finding.sourceIp ?? 'not reported'),
    wrapIndent('  User agent', finding.userAgent ? truncate(finding.userAgent, 300) : 'not reported'),
    '',
    'WHEN',
    wrapIndent('  Time', humanTime(finding.time)),
    wrapIndent('  API call', `${finding.eventSource} ${finding.eventName}`),
    wrapIndent('  Event id', finding.eventId),
  );
  const change = policyChangeLine(finding.details);
  if (change) {
    lines.push('', 'POLICY CHANGE', `  ${change}`);
    const doc = policyDocumentText(finding.details, 3000);
    if (doc) lines.push(`  New document: ${doc}`);
  }
  const why = explanationLines(finding);
  if (why.length > 0) lines.push('', ...why);
  if (finding.runbook) lines.push('', 'WHAT TO DO NOW', `  ${truncate(finding.runbook, 2000)}`);
  if (url) lines.push('', 'EVENT IN CLOUDTRAIL', `  ${url}`);
  lines.push('', `-- Trailwatch detection ${finding.detection}`);
  return lines.join('\n');
}

/** E-mail subject for a digest, e.g. `[HIGH] 300 x policy-changed by deploy-role`. */
export function digestSubject(digest: AlertDigest): string {
  return cleanSubject(`[${SEVERITY_STYLE[digest.severity].word}] ${digest.count} x ${digest.detection} by ${digest.principal}`);
}

/** Plain-text digest: the count and span, the first few findings with links, what to do. */
export function digestEmailText(digest: AlertDigest): string {
  const lines = [`${SEVERITY_STYLE[digest.severity].word}: ${digestSentence(digest)}`, '', `FIRST ${Math.min(DIGEST_SAMPLES, digest.samples.length)}`];
  for (const f of digest.samples.slice(0, DIGEST_SAMPLES)) {
    lines.push(`  - ${humanTime(f.time)} [${f.severity.toUpperCase()}] ${f.title}`);
    const url = cloudTrailEventUrl(f);
    if (url) lines.push(`    ${url}`);
  }
  const more = digest.count - Math.min(DIGEST_SAMPLES, digest.samples.length);
  if (more > 0) lines.push(`  ...and ${more} more`);
  const runbook = digest.samples[0]?.runbook;
  if (runbook) lines.push('', 'WHAT TO DO NOW', `  ${runbook}`);
  lines.push('', `-- Trailwatch digest of ${digest.detection}; critical findings are always sent one by one`);
  return lines.join('\n');
}

/** Subject + body for any alert. */
export function renderEmail(alert: Alert): { subject: string; text: string } {
  return alert.kind === 'finding'
    ? { subject: emailSubject(alert.finding), text: emailText(alert.finding) }
    : { subject: digestSubject(alert.digest), text: digestEmailText(alert.digest) };
}

/** The SNS Publish input for one finding: plain text by default, the finding as JSON for machines. */
export function buildSnsMessage(finding: Finding): SnsAlertMessage {
  const json = JSON.stringify(finding);
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
    ? { kind: 'finding', finding: slim(alert.finding) }
    : { kind: 'digest', digest: { ...alert.digest, samples: alert.digest.samples.map(slim) } };
}

/**
 * The SNS Publish input for an alert the notifier has already de-duplicated and grouped (a single
 * finding or a digest), for e-mail subscribers. It is tagged `kind=alert`: e-mail subscriptions
 * filter on `kind=alert`, the notifier's own subscription on `kind=finding`, so nothing loops and
 * e-mail gets exactly what Slack gets (see docs/alerts.md).
 */
export function buildAlertSnsMessage(alert: Alert): SnsAlertMessage {
  const { subject, text } = renderEmail(alert);
  // SNS messages are ≤ 256 KB: only e-mail protocols read this message, and the JSON copy drops
  // finding details when it would not fit comfortably.
  let json = JSON.stringify(alert);
  if (json.length > 100_000) json = JSON.stringify(slimAlert(alert));
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
