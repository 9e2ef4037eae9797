import type { Finding } from '../model/types.ts';
import { cloudTrailEventUrl, cloudTrailHistoryUrl, principalFilter } from './links.ts';

/**
 * The facts of an API-rate burst an on-call engineer reads first — who, how many calls this minute
 * against its normal, which APIs, from where, first and last event — and the CloudTrail link filtered
 * to that principal or access key and the burst's window. Read from the rate detector's `details`
 * (shared/rates/findings.ts); internals (store key, raw baseline and burst JSON, score) are not
 * shown, and the burst id (`rate-…`, not a CloudTrail event) is only named as the burst's id.
 */
export interface BurstView {
  subject: string;
  dimension: string;
  observed: number;
  /** e.g. "normal ≈ 3.2/min, peak 12/min over 1440 min of history" or "never seen before". */
  normal: string;
  topApis: Array<{ value: string; count: number }>;
  topSourceIps: Array<{ value: string; count: number }>;
  topPrincipals: Array<{ value: string; count: number }>;
  firstEventTime?: string;
  lastEventTime?: string;
  /** CloudTrail event history filtered to the principal/key and the burst window (±1 minute). */
  historyUrl?: string;
  /** The first real CloudTrail event of the burst. */
  firstEventUrl?: string;
  /**
   * The whole burst when it spans more than this minute, or when this is a follow-up alert:
   * "120 calls in 3 minutes so far, peak 50/min; alert 2 of this burst: it grew". Our words and numbers only.
   */
  soFar?: string;
}

export const RATE_DETECTIONS: readonly string[] = ['api-rate-anomaly', 'api-error-rate-anomaly'];

function counts(value: unknown): Array<{ value: string; count: number }> {
  if (!Array.isArray(value)) return [];
  return value
    .map((v) => v as { value?: unknown; count?: unknown })
    .filter((v) => typeof v?.value === 'string' && typeof v.count === 'number')
    .map((v) => ({ value: v.value as string, count: v.count as number }));
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function perMinute(n: number): string {
  return n < 10 ? n.toFixed(1) : String(Math.round(n));
}

/** `details.burst` (minutes, total, peak, alerts) and `details.reason` as one sentence, when they add anything. */
function burstSoFar(burst: unknown, reason: unknown): string | undefined {
  const b = (burst !== null && typeof burst === 'object' ? burst : {}) as Record<string, unknown>;
  const minutes = num(b['minutes']);
  const total = num(b['total']);
  const peak = num(b['peakPerMinute']);
  const alerts = num(b['alerts']);
  const parts: string[] = [];
  if (minutes !== undefined && minutes > 1 && total !== undefined) parts.push(`${total} calls in ${minutes} minutes so far${peak !== undefined ? `, peak ${perMinute(peak)}/min` : ''}`);
  const why = reason === 'grew' ? 'it grew' : reason === 'escalated' ? 'its severity rose' : undefined;
  if (alerts !== undefined && alerts > 1) parts.push(`alert ${alerts} of this burst${why ? `: ${why}` : ''}`);
  else if (why) parts.push(`this alert: ${why}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** The burst view of a rate finding, or undefined for other detections. */
export function burstView(finding: Finding): BurstView | undefined {
  if (!RATE_DETECTIONS.includes(finding.detection)) return undefined;
  const d = finding.details ?? {};
  const baseline = (d['baseline'] ?? {}) as Record<string, unknown>;
  const expected = num(baseline['expectedPerMinute']);
  const peak = num(baseline['peakPerMinute']);
  const history = num(baseline['historyMinutes']);
  const normal =
    baseline['basis'] === 'new' || expected === undefined
      ? 'never seen before (no baseline yet)'
      : `normal ≈ ${perMinute(expected)}/min${peak !== undefined ? `, peak ${perMinute(peak)}/min` : ''}${history !== undefined ? ` over ${history} min of history` : ''}`;
  const first = typeof d['firstEventTime'] === 'string' ? d['firstEventTime'] : undefined;
  const last = typeof d['lastEventTime'] === 'string' ? d['lastEventTime'] : first;
  const startMs = Date.parse(typeof d['windowStart'] === 'string' ? d['windowStart'] : (first ?? finding.time));
  const endMs = Math.max(Date.parse(last ?? finding.time), startMs + 60_000);
  const dimension = typeof d['dimension'] === 'string' ? d['dimension'] : 'principal';
  const filter =
    dimension === 'accessKey' && typeof d['key'] === 'string'
      ? ({ key: 'AccessKeyId', value: d['key'] } as const)
      : dimension === 'api'
        ? undefined
        : principalFilter(finding.principal, 'user');
  const view: BurstView = {
    subject: typeof d['key'] === 'string' ? d['key'] : finding.principal.arn ?? finding.principal.name,
    dimension,
    observed: num(d['observed']) ?? 0,
    normal,
    topApis: counts(d['topEventNames']),
    topSourceIps: counts(d['topSourceIps']),
    topPrincipals: counts(d['topPrincipals']),
  };
  const soFar = burstSoFar(d['burst'], d['reason']);
  if (soFar) view.soFar = soFar;
  if (first) view.firstEventTime = first;
  if (last) view.lastEventTime = last;
  const historyUrl = Number.isNaN(startMs) ? undefined : cloudTrailHistoryUrl(finding.region, filter, startMs - 60_000, endMs + 60_000);
  if (historyUrl) view.historyUrl = historyUrl;
  const firstEventUrl = typeof d['firstEventId'] === 'string' ? cloudTrailEventUrl(finding, d['firstEventId']) : undefined;
  if (firstEventUrl) view.firstEventUrl = firstEventUrl;
  return view;
}
