import type { TrailEvent } from '../model/types.ts';

/** What a rate key counts. */
export type Dimension = 'principal' | 'accessKey' | 'api' | 'errors';

export const DIMENSION_PREFIX: Record<Dimension, string> = { principal: 'p', accessKey: 'k', api: 'a', errors: 'e' };

export const MINUTE_MS = 60_000;

/** Minute bucket of an epoch-ms CloudTrail eventTime (never the wall clock). */
export function minuteOf(timeMs: number): number {
  return Math.floor(timeMs / MINUTE_MS);
}

/**
 * The stable identity a baseline is learned for. Role sessions get a new ARN (session name) and a
 * new ASIA key every time, so an assumed role is keyed by its role (the session issuer) — otherwise
 * every session would look "never seen before".
 */
export function principalIdentity(event: TrailEvent): string {
  const p = event.principal;
  if (p.type === 'Root') return `root:${p.accountId ?? event.account}`;
  if (p.type === 'AWSService') return `service:${p.invokedBy ?? p.name}`;
  return p.sessionIssuer?.arn ?? p.arn ?? p.principalId ?? `${p.type}:${p.name}`;
}

/**
 * CIS 3.1 (v1.2) / 4.1 unauthorized-call errors: the metric filter's
 * `($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")`.
 */
export function isUnauthorizedError(errorCode: string | undefined): boolean {
  if (!errorCode) return false;
  return errorCode.endsWith('UnauthorizedOperation') || errorCode.startsWith('AccessDenied');
}

export interface RateKey {
  dimension: Dimension;
  account: string;
  /** Principal identity, access key id, or `eventSource:eventName`. */
  subject: string;
  /** `<prefix>|<account>|<subject>`: the store's partition key. */
  id: string;
}

function key(dimension: Dimension, account: string, subject: string): RateKey {
  return { dimension, account, subject, id: `${DIMENSION_PREFIX[dimension]}|${account}|${subject}` };
}

/**
 * True for a temporary (STS) access key id: `ASIA…`, issued for one session and gone within hours.
 * Every CI job and role session gets a fresh one, so as a rate key it is always "never seen before";
 * its calls are counted under the session's principal (the role) instead. Long-lived `AKIA…` user
 * keys — the ones that leak — keep their own key.
 */
export function isTemporaryAccessKey(accessKeyId: string): boolean {
  return accessKeyId.startsWith('ASIA');
}

/** Every rate key one event counts towards. */
export function keysFor(event: TrailEvent): RateKey[] {
  const principal = principalIdentity(event);
  const keys = [key('principal', event.account, principal), key('api', event.account, `${event.source}:${event.name}`)];
  const accessKey = event.principal.accessKeyId;
  if (accessKey && !isTemporaryAccessKey(accessKey)) keys.push(key('accessKey', event.account, accessKey));
  if (isUnauthorizedError(event.errorCode)) keys.push(key('errors', event.account, principal));
  return keys;
}
