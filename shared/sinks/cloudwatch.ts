import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { SEVERITIES } from '../model/types.ts';
import { type CloudWatchApi, type CloudWatchLike, cloudWatchApi } from './transport/apis.ts';
import type { MetricsSink, RunCounts } from './types.ts';

/** PutMetricData accepts at most 1000 datums per call. */
export const MAX_DATUMS_PER_CALL = 1000;

/**
 * The metric data for one run: EventsProcessed, EventsSkipped, DetectionErrors, and Findings both
 * by Detection+Severity (for dashboards) and by Severity alone (what the alarms watch — an alarm
 * needs an exact dimension set). Zero counts are sent for the undimensioned metrics so graphs
 * show activity, not gaps; finding datums exist only for what fired.
 */
export function metricData(counts: RunCounts, timestamp: Date): MetricDatum[] {
  const datum = (name: string, value: number, dimensions: Array<{ Name: string; Value: string }> = []): MetricDatum => ({
    MetricName: name,
    Value: value,
    Unit: 'Count',
    Timestamp: timestamp,
    ...(dimensions.length > 0 ? { Dimensions: dimensions } : {}),
  });
  const data: MetricDatum[] = [datum('EventsProcessed', counts.eventsProcessed), datum('EventsSkipped', counts.eventsSkipped)];
  if (counts.detectionErrors) data.push(datum('DetectionErrors', counts.detectionErrors));
  const bySeverity = new Map<string, number>();
  for (const f of counts.findings) {
    data.push(datum('Findings', f.count, [{ Name: 'Detection', Value: f.detection }, { Name: 'Severity', Value: f.severity }]));
    bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + f.count);
  }
  for (const severity of SEVERITIES) {
    const n = bySeverity.get(severity);
    if (n) data.push(datum('Findings', n, [{ Name: 'Severity', Value: severity }]));
  }
  // Routing (docs/tuning.md): findings by route, and the suppressed ones — suppressed is never gone.
  for (const [route, n] of Object.entries(counts.routes ?? {})) if (n) data.push(datum('FindingsRouted', n, [{ Name: 'Route', Value: route }]));
  if (counts.suppressed) data.push(datum('FindingsSuppressed', counts.suppressed));
  // Per account (organization mode only): one custom metric per account that ever had a finding.
  for (const [account, n] of Object.entries(counts.byAccount ?? {})) if (n) data.push(datum('Findings', n, [{ Name: 'Account', Value: account }]));
  return data;
}

/**
 * CloudWatch metrics in the `Trailwatch` namespace: at most ONE PutMetricData call per
 * invocation. If a run ever had more than 1000 distinct datums (≈ 190+ detections firing at every
 * severity in one invocation), the per-detection datums beyond the limit are dropped with a
 * warning; the per-severity totals the alarms use are always kept.
 */
export class CloudWatchMetricsSink implements MetricsSink {
  readonly name = 'cloudwatch';
  private readonly api: CloudWatchApi;

  /** `client`: the signed-HTTP client (deployed handlers) or an SDK `CloudWatchClient` (tests, tools). */
  constructor(
    client: CloudWatchLike,
    private readonly namespace: string,
    private readonly log: Log = silentLog,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.api = cloudWatchApi(client);
  }

  async flush(counts: RunCounts): Promise<void> {
    if (counts.eventsProcessed === 0 && counts.eventsSkipped === 0 && counts.findings.length === 0 && !counts.detectionErrors) return;
    let data = metricData(counts, this.now());
    if (data.length > MAX_DATUMS_PER_CALL) {
      const essential = data.filter((d) => !(d.MetricName === 'Findings' && d.Dimensions?.length === 2));
      const perDetection = data.filter((d) => d.MetricName === 'Findings' && d.Dimensions?.length === 2);
      const room = MAX_DATUMS_PER_CALL - essential.length;
      this.log.warn('metric datums over the PutMetricData limit; per-detection datums dropped', { dropped: perDetection.length - room });
      data = [...essential, ...perDetection.slice(0, room)];
    }
    await this.api.putMetricData({ Namespace: this.namespace, MetricData: data });
  }
}
