import { REGION_NAME } from '../model/region-name.ts';
/**
 * A member forwarder's heartbeat as it arrives on the central bus (docs/organization.md
 * "Heartbeat"): the EventBridge "Scheduled Event" of the member template's `HeartbeatRule`,
 * forwarded unchanged, so its envelope names the member account and region:
 *
 *   {"detail-type": "Scheduled Event", "source": "aws.events", "account": "444455556666",
 *    "region": "eu-west-1", "time": "2026-12-02T01:05:00Z",
 *    "resources": ["arn:aws:events:eu-west-1:444455556666:rule/trailwatch-prod-forwarder-heartbeat"], "detail": {}}
 *
 * Anything else is a skip with a reason (counted and logged by the caller), never an exception.
 */

export const HEARTBEAT_SOURCE = 'aws.events';
export const HEARTBEAT_DETAIL_TYPE = 'Scheduled Event';

/** One heartbeat: which (account, region) is forwarding, and when the member's schedule fired. */
export interface Heartbeat {
  account: string;
  region: string;
  /** The envelope's `time` (when the member rule fired) as epoch ms. */
  timeMs: number;
}

export type HeartbeatParse = { ok: true; beat: Heartbeat } | { ok: false; reason: string };

const ACCOUNT = /^\d{12}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The central rule's event pattern: every scheduled event on the central bus. Only forwarders put
 * events there (its policy admits our organization only), no customer can put an `aws.` source,
 * and the member forward rules do not send scheduled events, so these are the member heartbeats.
 * The envelope's `account` and `region` are set by EventBridge in the member, not by the sender.
 */
export const HEARTBEAT_PATTERN = { source: [HEARTBEAT_SOURCE], 'detail-type': [HEARTBEAT_DETAIL_TYPE] } as const;

/** Reads a heartbeat envelope. */
export function parseHeartbeat(event: unknown): HeartbeatParse {
  if (!isRecord(event)) return { ok: false, reason: 'heartbeat: not a JSON object' };
  if (event['source'] !== HEARTBEAT_SOURCE || event['detail-type'] !== HEARTBEAT_DETAIL_TYPE) return { ok: false, reason: 'heartbeat: not a scheduled event' };
  const account = event['account'];
  const region = event['region'];
  if (typeof account !== 'string' || !ACCOUNT.test(account)) return { ok: false, reason: 'heartbeat: account is not a 12-digit id' };
  if (typeof region !== 'string' || !REGION_NAME.test(region)) return { ok: false, reason: 'heartbeat: region is malformed' };
  const timeMs = typeof event['time'] === 'string' ? Date.parse(event['time']) : Number.NaN;
  if (!Number.isFinite(timeMs)) return { ok: false, reason: 'heartbeat: time is missing or malformed' };
  return { ok: true, beat: { account, region, timeMs } };
}
