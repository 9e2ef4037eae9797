import type { PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { buildSnsMessage } from '../alerts/sns-message.ts';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import type { Finding } from '../model/types.ts';
import { SinkDeliveryError } from './errors.ts';
import { batchBySize, byteLength, fitFinding, sendable } from './fit.ts';
import { type SnsApi, type SnsLike, snsApi } from './transport/apis.ts';
import type { FindingSink } from './types.ts';

/** SNS limits: 10 entries per PublishBatch, 256 KiB per message and per whole batch. */
export const SNS_BATCH_MAX_ENTRIES = 10;
export const SNS_MAX_BYTES = 262_144;
/** Headroom for the request's own framing (ids, attribute names) that we do not measure exactly. */
const SNS_HEADROOM = 2_048;

/** Bytes SNS counts for one entry: message, subject and attribute names, types and values. */
export function snsEntrySize(entry: PublishBatchRequestEntry): number {
  let size = byteLength(entry.Message ?? '') + byteLength(entry.Subject ?? '');
  for (const [name, attr] of Object.entries(entry.MessageAttributes ?? {})) {
    size += byteLength(name) + byteLength(attr.DataType ?? '') + byteLength(attr.StringValue ?? '');
  }
  return size;
}

function entryFor(finding: Finding, id: string): PublishBatchRequestEntry {
  const m = buildSnsMessage(finding);
  return { Id: id, Subject: m.Subject, Message: m.Message, MessageStructure: m.MessageStructure, MessageAttributes: m.MessageAttributes };
}

/**
 * Alerts: one SNS message per finding (plain text for e-mail, the finding as JSON for machines),
 * sent with PublishBatch in batches of up to 10. Entries that fail are retried once when SNS says
 * the fault is not the sender's; anything still failing makes `publish` throw.
 */
export class SnsSink implements FindingSink {
  readonly name = 'sns';
  private readonly api: SnsApi;

  /** `client`: the signed-HTTP client (deployed handlers) or an SDK `SNSClient` (tests, tools). */
  constructor(
    client: SnsLike,
    private readonly topicArn: string,
    private readonly log: Log = silentLog,
  ) {
    this.api = snsApi(client);
  }

  async publish(findings: readonly Finding[]): Promise<void> {
    if (findings.length === 0) return;
    const limit = SNS_MAX_BYTES - SNS_HEADROOM;
    const items = sendable(findings, (f) => entryFor(f, '0'), this.log).map((original, i) => {
      const finding = fitFinding(original, limit, (f) => snsEntrySize(entryFor(f, String(i))), 'SNS message');
      if (finding !== original) this.log.warn('finding trimmed to fit SNS', { eventId: original.eventId, detection: original.detection });
      return { finding, entry: entryFor(finding, String(i)) };
    });
    const failures: SinkDeliveryError['failures'] = [];
    for (const batch of batchBySize(items, (it) => snsEntrySize(it.entry), SNS_BATCH_MAX_ENTRIES, limit)) {
      let pending = batch;
      for (let attempt = 1; attempt <= 2 && pending.length > 0; attempt++) {
        const out = await this.api.publishBatch({ TopicArn: this.topicArn, PublishBatchRequestEntries: pending.map((p) => p.entry) });
        const failed = out.Failed ?? [];
        if (failed.length === 0) {
          pending = [];
          break;
        }
        const byId = new Map(pending.map((p) => [p.entry.Id, p]));
        const retryable = failed.filter((f) => !f.SenderFault);
        for (const f of failed) {
          const item = byId.get(f.Id);
          this.log.warn('SNS entry failed', { attempt, code: f.Code, message: f.Message, senderFault: f.SenderFault, eventId: item?.finding.eventId });
        }
        // Sender faults (bad request) will fail again: record them now, retry only the others.
        for (const f of failed.filter((x) => x.SenderFault)) {
          const item = byId.get(f.Id);
          failures.push({ eventId: item?.finding.eventId, detection: item?.finding.detection, code: f.Code, message: f.Message });
        }
        const next = retryable.map((f) => byId.get(f.Id)).filter((p): p is (typeof pending)[number] => p !== undefined);
        if (attempt === 2) {
          for (const f of retryable) {
            const item = byId.get(f.Id);
            failures.push({ eventId: item?.finding.eventId, detection: item?.finding.detection, code: f.Code, message: f.Message });
          }
        }
        pending = next;
      }
    }
    if (failures.length > 0) throw new SinkDeliveryError(this.name, failures);
  }
}
