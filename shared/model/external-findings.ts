import type { CloudTrailRecord, NormalizeResult, TrailEvent } from './types.ts';

/**
 * Findings of AWS's own detectors arrive on the default bus as their own detail-types, not as
 * CloudTrail records. They are normalised into the same TrailEvent (eventType `ExternalFinding`) so
 * they take the same path as Trailwatch's findings — de-duplication, digests, routing, sinks — instead
 * of a second inbox. The `aws-security-findings` detection turns them into Findings.
 */
export const EXTERNAL_FINDING_DETAIL_TYPES: Readonly<Record<string, { service: string; eventSource: string }>> = {
  'GuardDuty Finding': { service: 'guardduty', eventSource: 'guardduty.amazonaws.com' },
  'Security Hub Findings - Imported': { service: 'securityhub', eventSource: 'securityhub.amazonaws.com' },
  'Inspector2 Finding': { service: 'inspector2', eventSource: 'inspector2.amazonaws.com' },
};

/** `eventType` of a TrailEvent made from another detector's finding. */
export const EXTERNAL_FINDING_EVENT_TYPE = 'ExternalFinding';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function timeOf(...candidates: unknown[]): number | undefined {
  for (const c of candidates) {
    const ms = typeof c === 'string' ? Date.parse(c) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/**
 * The TrailEvent for one detector event, or a skip with the reason. The id is the detector's finding
 * id plus its update time (GuardDuty and Inspector re-send a finding when it is updated: a new
 * occurrence, deduplicated downstream by detection and principal), else the EventBridge event id.
 */
export function normalizeExternalFinding(input: Record<string, unknown>, detailType: string): NormalizeResult {
  const kind = EXTERNAL_FINDING_DETAIL_TYPES[detailType];
  if (!kind) return { ok: false, skip: { reason: `unsupported detail-type "${detailType.slice(0, 80)}"` } };
  const detail = input['detail'];
  if (!isObject(detail)) return { ok: false, skip: { reason: `${detailType} event without a detail object` } };
  const envelopeId = str(input['id']);
  const first = Array.isArray(detail['findings']) && isObject(detail['findings'][0]) ? (detail['findings'][0] as Record<string, unknown>) : undefined;
  if (kind.service === 'securityhub' && !first) return { ok: false, skip: { reason: 'Security Hub event without findings' } };
  const findingId = str(detail['id']) ?? str(detail['findingArn']) ?? str(first?.['Id']);
  const updated = str(detail['updatedAt']) ?? str(first?.['UpdatedAt']);
  const id = findingId ? `${kind.service}:${findingId}${updated ? `@${updated}` : ''}` : envelopeId;
  if (!id) return { ok: false, skip: { reason: `${detailType} event without a finding id` } };
  const timeMs = timeOf(updated, detail['createdAt'], first?.['CreatedAt'], input['time']);
  if (timeMs === undefined) return { ok: false, skip: { reason: `${detailType} event without a time`, eventId: id } };
  const types = Array.isArray(first?.['Types']) ? (first?.['Types'] as unknown[]) : [];
  const name = str(detail['type']) ?? str(types[0]) ?? str(first?.['GeneratorId']) ?? detailType;
  const account = str(detail['accountId']) ?? str(detail['awsAccountId']) ?? str(first?.['AwsAccountId']) ?? str(input['account']) ?? 'unknown';
  const region = str(detail['region']) ?? str(first?.['Region']) ?? str(input['region']) ?? 'unknown';
  const envelope: NonNullable<TrailEvent['envelope']> = { detailType };
  if (envelopeId) envelope.id = envelopeId;
  const source = str(input['source']);
  if (source) envelope.source = source;
  const time = str(input['time']);
  if (time) envelope.time = time;
  const event: TrailEvent = {
    id,
    time: new Date(timeMs).toISOString(),
    timeMs,
    name,
    source: kind.eventSource,
    region,
    account,
    eventType: EXTERNAL_FINDING_EVENT_TYPE,
    principal: { type: 'AWSService', name: kind.eventSource, invokedBy: kind.eventSource },
    requestParameters: null,
    responseElements: null,
    additionalEventData: null,
    // The detector's event detail, kept whole like a CloudTrail record (details and re-analysis read it).
    raw: detail as CloudTrailRecord,
    envelope,
  };
  return { ok: true, event };
}
