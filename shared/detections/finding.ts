import type { Finding, Severity, TrailEvent } from '../model/types.ts';
import type { DetectionMeta } from './types.ts';

/** Builds a Finding from the event and the detection's metadata; detections add title and details. */
export function makeFinding(
  meta: DetectionMeta,
  event: TrailEvent,
  fields: { title: string; severity?: Severity; details?: Record<string, unknown> },
): Finding {
  const p = event.principal;
  const principal: Finding['principal'] = { type: p.type, name: p.name };
  if (p.arn) principal.arn = p.arn;
  if (p.accessKeyId) principal.accessKeyId = p.accessKeyId;
  if (p.sessionIssuer?.arn) principal.sessionIssuerArn = p.sessionIssuer.arn;
  if (event.mfaUsed !== undefined) principal.mfa = event.mfaUsed;
  const finding: Finding = {
    detection: meta.id,
    severity: fields.severity ?? meta.severity,
    title: fields.title,
    eventId: event.id,
    eventName: event.name,
    eventSource: event.source,
    time: event.time,
    account: event.account,
    region: event.region,
    principal,
    details: fields.details ?? {},
    runbook: meta.runbook,
    references: meta.references,
  };
  if (event.sourceIp) finding.sourceIp = event.sourceIp;
  if (event.userAgent) finding.userAgent = event.userAgent;
  return finding;
}

/**
 * Marks findings whose content is dangerous in itself, whoever did it (`Finding.inherentRisk`):
 * the noise model never treats them as routine. Returns the same array, for `return` chains.
 */
export function inherentlyRisky(findings: Finding[], reason: string): Finding[] {
  for (const f of findings) f.inherentRisk = reason;
  return findings;
}

/** True when the event's (source, name) is in one of the detection's match sets. */
export function matchesEvent(meta: DetectionMeta, event: TrailEvent): boolean {
  return meta.matches.some(
    (m) => (m.eventSource.includes(event.source) || m.eventSource.includes(ANY)) && (m.eventName.includes(event.name) || m.eventName.includes(ANY)),
  );
}

/**
 * `eventSource`/`eventName` value meaning "any": for detections keyed on who acted rather than what
 * (root-activity). Rule generators must turn it into an EventBridge wildcard, never a literal "*".
 */
export const ANY = '*';
