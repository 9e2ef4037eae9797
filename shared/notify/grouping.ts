import { principalLabel } from '../alerts/format.ts';
import { ROUTES, type Finding } from '../model/types.ts';

/**
 * How the notifier groups findings into messages, as pure functions: the path a finding takes and
 * the keys of its digest, follow-up and daily-summary groups. The notifier's stores (DynamoDB in
 * Lambda, memory in replay) and the message counter (back-test, noise bench) use these, so they
 * cannot disagree on which findings share a message.
 */

/** Where a finding goes: its `route` when the routing step set one, else the severity rule. */
export type DeliveryPath = 'page' | 'digest' | 'summary' | 'record';

/** True when a finding must not wait for a digest (used when it carries no route): critical, or an `immediateDetections` id. */
export function isImmediate(f: Finding, immediateDetections: readonly string[] = []): boolean {
  return f.severity === 'critical' || immediateDetections.includes(f.detection);
}

/** The path a finding takes: `route` first (an unknown route counts as none); without one, immediate findings page and the rest is digested. */
export function deliveryPath(f: Finding, immediateDetections: readonly string[] = []): DeliveryPath {
  if (f.route !== undefined && (ROUTES as readonly string[]).includes(f.route)) return f.route;
  return isImmediate(f, immediateDetections) ? 'page' : 'digest';
}

/** Start of the clock-aligned window holding `now`. */
export function windowStartOf(now: number, windowMs: number): number {
  return Math.floor(now / windowMs) * windowMs;
}

/** The digest group of a finding received at `now`: detection, principal label, window. */
export function digestGroupKey(finding: Finding, now: number, windowMs: number): { pk: string; windowStart: number } {
  const windowStart = windowStartOf(now, windowMs);
  return { pk: `${finding.detection}|${principalLabel(finding)}|${windowStart}`, windowStart };
}

/** Key prefix of incident follow-up groups. */
export const FOLLOW_UP_PREFIX = 'followup|';

/** The group key of an incident's follow-ups in one digest window. */
export function followUpKey(incidentKey: string, pagedAt: number, windowStart: number): string {
  return `${FOLLOW_UP_PREFIX}${incidentKey}|${pagedAt}|${windowStart}`;
}

/** Key prefix of the once-a-day summary groups. */
export const SUMMARY_PREFIX = 'summary|';
const DAY = 86_400_000;

/** The daily-summary group of a finding received at `now`: its UTC day. */
export function summaryGroupKey(now: number): { pk: string; dayStart: number } {
  const dayStart = windowStartOf(now, DAY);
  return { pk: `${SUMMARY_PREFIX}${new Date(dayStart).toISOString().slice(0, 10)}`, dayStart };
}
