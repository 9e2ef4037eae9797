import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';

/** What one notifier invocation did; also the replay CLI's alert summary. */
export interface NotifyStats {
  /** Alerts (single or digest) delivered to every configured channel. */
  alertsSent: number;
  /** Alerts at least one channel failed to deliver (they went to the DLQ). */
  deliveriesFailed: number;
  /** Digest messages sent. */
  digests: number;
  /** Findings added to a digest group instead of being sent at once. */
  grouped: number;
  /** Findings dropped as repeats of an already alerted (detection, eventID). */
  duplicates: number;
  /** Inputs that were not findings (logged with the reason). */
  rejected: number;
  deadLettered: number;
  /** Extra copies a channel may show: attempts whose answer was lost before a later one succeeded. */
  possibleDuplicates: number;
  /** Findings routed `record`: counted, no message. */
  recorded: number;
  /** Daily summary messages sent. */
  summaries: number;
  /** Page-worthy findings held back as follow-ups of an incident already paged (also counted in `grouped`). */
  followUps: number;
}

export function emptyStats(): NotifyStats {
  return { alertsSent: 0, deliveriesFailed: 0, digests: 0, grouped: 0, duplicates: 0, rejected: 0, deadLettered: 0, possibleDuplicates: 0, recorded: 0, summaries: 0, followUps: 0 };
}

export const NAMESPACE = 'Trailwatch';

/** The notifier's metrics as one PutMetricData call (namespace `Trailwatch`, no dimensions, so alarms stay simple). */
export function notifyMetricData(stats: NotifyStats, timestamp: Date): MetricDatum[] {
  const datum = (name: string, value: number): MetricDatum => ({ MetricName: name, Value: value, Unit: 'Count', Timestamp: timestamp });
  return [
    datum('AlertsSent', stats.alertsSent),
    datum('DeliveriesFailed', stats.deliveriesFailed),
    datum('Digests', stats.digests),
    datum('AlertsGrouped', stats.grouped),
    datum('DuplicatesSuppressed', stats.duplicates),
    datum('NotifyInputsRejected', stats.rejected),
    datum('AlertsDeadLettered', stats.deadLettered),
    datum('AlertsPossiblyDuplicated', stats.possibleDuplicates),
    datum('FindingsRecordedOnly', stats.recorded),
    datum('DailySummaries', stats.summaries),
    datum('IncidentFollowUps', stats.followUps),
  ];
}

/** Publishes one invocation's stats; never throws (a metrics outage must not re-send alerts). */
export async function publishNotifyMetrics(cw: CloudWatchClient, stats: NotifyStats, timestamp: Date, onError: (e: Error) => void): Promise<void> {
  try {
    await cw.send(new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData: notifyMetricData(stats, timestamp) }));
  } catch (error) {
    onError(error as Error);
  }
}
