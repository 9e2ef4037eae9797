import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { serializeFinding } from '../model/finding-bounds.ts';
import type { Finding } from '../model/types.ts';
import { SinkDeliveryError } from './errors.ts';
import { batchBySize, byteLength, fitFinding, sendable } from './fit.ts';
import { type EventBridgeApi, type EventBridgeLike, eventBridgeApi } from './transport/apis.ts';
import type { FindingSink } from './types.ts';

export const FINDING_SOURCE = 'trailwatch';
export const FINDING_DETAIL_TYPE = 'Trailwatch Finding';
/** PutEvents limits: 10 entries per call; 256 KiB per entry and per request. */
export const EVENTBRIDGE_BATCH_MAX_ENTRIES = 10;
export const EVENTBRIDGE_MAX_BYTES = 262_144;

/**
 * Entry size as EventBridge computes it: Time (14 bytes when set), Source, DetailType and Detail
 * as UTF-8, plus each Resources ARN.
 */
export function eventBridgeEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time ? 14 : 0;
  size += byteLength(entry.Source ?? '') + byteLength(entry.DetailType ?? '') + byteLength(entry.Detail ?? '');
  for (const r of entry.Resources ?? []) size += byteLength(r);
  return size;
}

/** The PutEvents entry for one finding: the finding itself is the event's detail. */
export function findingEntry(finding: Finding, busName: string): PutEventsRequestEntry {
  const resources = [finding.principal.arn, finding.principal.sessionIssuerArn].filter((a): a is string => typeof a === 'string' && a.startsWith('arn:'));
  return {
    EventBusName: busName,
    Source: FINDING_SOURCE,
    DetailType: FINDING_DETAIL_TYPE,
    Detail: serializeFinding(finding),
    Resources: [...new Set(resources)],
  };
}

/**
 * Findings bus: every finding as a `Trailwatch Finding` event (`source: trailwatch`) for SIEMs and
 * automation. Batches of 10; an entry over 256 KiB has its largest details trimmed with a note;
 * failed entries (FailedEntryCount) are retried once, then `publish` throws.
 */
export class EventBridgeSink implements FindingSink {
  readonly name = 'eventbridge';
  private readonly api: EventBridgeApi;

  /** `client`: the signed-HTTP client (deployed handlers) or an SDK `EventBridgeClient` (tests, tools). */
  constructor(
    client: EventBridgeLike,
    private readonly busName: string,
    private readonly log: Log = silentLog,
  ) {
    this.api = eventBridgeApi(client);
  }

  async publish(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const items = sendable(findings, (f) => findingEntry(f, this.busName), this.log).map((original) => {
      const finding = fitFinding(original, EVENTBRIDGE_MAX_BYTES, (f) => eventBridgeEntrySize(findingEntry(f, this.busName)), 'EventBridge entry');
      if (finding !== original) this.log.warn('finding trimmed to fit EventBridge', { eventId: original.eventId, detection: original.detection });
      return { finding, entry: findingEntry(finding, this.busName) };
    });
    const failures: SinkDeliveryError['failures'] = [];
    for (const batch of batchBySize(items, (it) => eventBridgeEntrySize(it.entry), EVENTBRIDGE_BATCH_MAX_ENTRIES, EVENTBRIDGE_MAX_BYTES)) {
      let pending = batch;
      for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt++) {
        const out = await this.api.putEvents({ Entries: pending.map((p) => p.entry) });
        if (!out.FailedEntryCount) {
          pending = [];
          break;
        }
        // Result entries are in request order; a failed one has an ErrorCode.
        const failed = pending
          .map((p, i) => ({ p, result: out.Entries?.[i] }))
          .filter(({ result }) => result === undefined || result.ErrorCode !== undefined);
        for (const { p, result } of failed) {
          this.log.warn('EventBridge entry failed', { attempt, code: result?.ErrorCode, message: result?.ErrorMessage, eventId: p.finding.eventId });
          if (attempt === 2) failures.push({ eventId: p.finding.eventId, detection: p.finding.detection, code: result?.ErrorCode ?? 'MissingResult', message: result?.ErrorMessage });
        }
        pending = failed.map(({ p }) => p);
      }
    }
    if (failures.length > 0) throw new SinkDeliveryError(this.name, failures);
  }
}
