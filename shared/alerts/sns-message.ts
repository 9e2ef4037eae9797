import type { Finding } from '../model/types.ts';

/** What the SNS sink publishes for one finding (`MessageStructure: "json"`). */
export interface SnsAlertMessage {
  Subject: string;
  /** JSON object as a string: `default` (plain text) plus per-protocol bodies. */
  Message: string;
  MessageStructure: 'json';
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

const SUBJECT_LIMIT = 100;

/** SNS email subjects: ≤ 100 chars, ASCII printable, no line breaks. */
export function emailSubject(finding: Finding): string {
  const raw = `[Trailwatch ${finding.severity.toUpperCase()}] ${finding.detection}: ${finding.principal.name} in ${finding.account}`;
  // eslint-style note: SNS rejects control characters and non-ASCII in subjects.
  const clean = raw.replace(/[^\x20-\x7e]/g, '?');
  return clean.length <= SUBJECT_LIMIT ? clean : `${clean.slice(0, SUBJECT_LIMIT - 1)}…`.replace(/…$/, '~');
}

/** A readable plain-text body for e-mail subscribers. */
export function emailText(finding: Finding): string {
  const lines = [
    finding.title,
    '',
    `Severity:   ${finding.severity}`,
    `Detection:  ${finding.detection}`,
    `Principal:  ${finding.principal.arn ?? finding.principal.name} (${finding.principal.type})`,
    `Account:    ${finding.account}   Region: ${finding.region}`,
    `Event:      ${finding.eventSource} ${finding.eventName} at ${finding.time}`,
    `Event id:   ${finding.eventId}`,
  ];
  if (finding.sourceIp) lines.push(`Source IP:  ${finding.sourceIp}`);
  if (finding.userAgent) lines.push(`User agent: ${finding.userAgent}`);
  if (finding.runbook) lines.push('', `What to do now: ${finding.runbook}`);
  return lines.join('\n');
}

/** The SNS Publish input for one finding: plain text by default, the finding as JSON for machines. */
export function buildSnsMessage(finding: Finding): SnsAlertMessage {
  const json = JSON.stringify(finding);
  return {
    Subject: emailSubject(finding),
    Message: JSON.stringify({ default: emailText(finding), email: emailText(finding), lambda: json, https: json, sqs: json }),
    MessageStructure: 'json',
    MessageAttributes: {
      severity: { DataType: 'String', StringValue: finding.severity },
      detection: { DataType: 'String', StringValue: finding.detection },
    },
  };
}
