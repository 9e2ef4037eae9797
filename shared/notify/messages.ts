import type { Finding } from '../model/types.ts';
import { dedupKey } from './dedup-store.ts';
import { DEFAULT_DIGEST } from './digest-store.ts';
import { deliveryPath, digestGroupKey, followUpKey, summaryGroupKey, windowStartOf, type DeliveryPath } from './grouping.ts';
import { DEFAULT_INCIDENT_WINDOW_MS, incidentKey, incidentTime, MemoryIncidentStore, type PageReason } from './incidents.ts';

/**
 * The messages the deployed notifier sends for a stream of findings, counted without sending:
 * the back-test (`trailwatch replay`) and the noise bench both count with it. It follows the
 * notifier step for step, with the notifier's own pieces (`deliveryPath`, the group keys of
 * `grouping.ts`, `decideIncident` over a memory store):
 *
 * - `record` findings send nothing; a repeat of a (detection, eventID) already seen is a duplicate
 *   (the notifier's claim drops it);
 * - `page` findings page when they open an incident, re-open one or raise its severity; otherwise
 *   they join the incident's follow-up group for the clock-aligned digest window;
 * - `digest` findings join the group (detection, principal label, clock-aligned window);
 * - `summary` findings join the UTC day's summary group;
 * - each page is one message, and so is each group (the flush sends one message per group, a
 *   digest group of one as a plain alert).
 *
 * Windows and days are taken from `now`, the notifier's receipt time (default: the finding's event
 * time, as replay has no other); the incident decision from the event time capped at `now`.
 * `test/notify/messages.test.ts` runs the real notifier (DynamoDB stores on dynalite, a fake
 * clock, the scheduled flush) over the same findings and checks the same messages.
 */

/** One message people receive. */
export type MessageKind = 'page' | 'follow-up' | 'digest' | 'summary';

/** What the notifier does with one finding. */
export interface Delivery {
  path: DeliveryPath;
  /** Sent as a page, added to a follow-up / digest / summary group, recorded only, or dropped as a duplicate. */
  outcome: MessageKind | 'record' | 'duplicate';
  /** Why a page was sent: a new incident, a re-opened one, a severity rise. */
  reason?: PageReason;
  /** The message this finding opens (a page, or the first finding of its group); absent when it joins one already counted, or sends nothing. */
  opens?: MessageKind;
}

export interface MessageCounterOptions {
  /** The notifier's digest window (`digestWindowSeconds`; default 120 s). */
  digestWindowMs?: number;
  /** The notifier's incident window (`incidentWindowSeconds`; default 1 h). */
  incidentWindowMs?: number;
  /** `immediateDetections`: with no route, these page like critical findings. */
  immediateDetections?: readonly string[];
}

export class MessageCounter {
  readonly #digestWindowMs: number;
  readonly #incidentWindowMs: number;
  readonly #immediate: readonly string[];
  readonly #incidents = new MemoryIncidentStore();
  /** Claimed (detection, eventID) keys: the notifier's claims are kept far longer than any replay. */
  readonly #claimed = new Set<string>();
  /** Groups opened so far (digest, follow-up and summary keys). */
  readonly #groups = new Set<string>();
  /** Messages counted so far, by kind. */
  readonly totals: Record<MessageKind, number> = { page: 0, 'follow-up': 0, digest: 0, summary: 0 };

  constructor(options: MessageCounterOptions = {}) {
    this.#digestWindowMs = options.digestWindowMs ?? DEFAULT_DIGEST.windowMs;
    this.#incidentWindowMs = options.incidentWindowMs ?? DEFAULT_INCIDENT_WINDOW_MS;
    this.#immediate = options.immediateDetections ?? [];
  }

  /** Counts one finding, received at `now` (epoch ms; default its event time). Feed findings in the order the notifier gets them. */
  count(finding: Finding, now: number = Date.parse(finding.time)): Delivery {
    const path = deliveryPath(finding, this.#immediate);
    if (path === 'record') return { path, outcome: 'record' };
    const key = dedupKey(finding.detection, finding.eventId);
    if (this.#claimed.has(key)) return { path, outcome: 'duplicate' };
    this.#claimed.add(key);
    if (path === 'page') {
      const incident = incidentKey(finding);
      const decision = this.#incidents.decideSync(incident, finding.severity, key, incidentTime(finding, now), this.#incidentWindowMs);
      if (decision.page) return this.#opened({ path, outcome: 'page', reason: decision.reason }, 'page');
      return this.#grouped(path, 'follow-up', followUpKey(incident, decision.state.pagedAt, windowStartOf(now, this.#digestWindowMs)));
    }
    if (path === 'digest') return this.#grouped(path, 'digest', digestGroupKey(finding, now, this.#digestWindowMs).pk);
    return this.#grouped(path, 'summary', summaryGroupKey(now).pk);
  }

  /** All messages counted so far. */
  get messages(): number {
    return this.totals.page + this.totals['follow-up'] + this.totals.digest + this.totals.summary;
  }

  #grouped(path: DeliveryPath, kind: Exclude<MessageKind, 'page'>, group: string): Delivery {
    if (this.#groups.has(group)) return { path, outcome: kind };
    this.#groups.add(group);
    return this.#opened({ path, outcome: kind }, kind);
  }

  #opened(delivery: Delivery, kind: MessageKind): Delivery {
    this.totals[kind] += 1;
    return { ...delivery, opens: kind };
  }
}
