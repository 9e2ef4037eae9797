import { meta as mfaMeta, mfaSubject } from '../detections/mfa-deactivated.ts';
import { makeFinding } from '../detections/finding.ts';
import type { DetectionContext } from '../detections/types.ts';
import { str } from '../detections/lib/values.ts';
import type { Finding, TrailEvent } from '../model/types.ts';
import type { StreamProcessor } from '../pipeline/types.ts';
import { principalIdentity } from '../rates/keys.ts';
import { MemoryMfaStore, type MfaStore, type PendingRemoval } from './store.ts';

/** Minutes a user has to enable a new device after removing one before the removal pages. */
export const DEFAULT_REPLACEMENT_WINDOW_MINUTES = 15;

/**
 * Minutes of CloudTrail-to-processor delivery lag the wall-clock sweep allows before it calls a
 * removal unreplaced (an EnableMFADevice may still be on its way: EventBridge delivery, the SQS
 * batching window, a backlog). See `MfaReplacementProcessor.sweep`.
 */
export const DEFAULT_SWEEP_MARGIN_MINUTES = 15;

export interface MfaReplacementOptions {
  /** Minutes a user has to enable a new device (default 15). */
  windowMinutes?: number;
  /**
   * Event-time lateness allowed within the stream: a batch settles a removal only once its newest
   * event is this much past the deadline, so an EnableMFADevice delivered a little after later
   * events of other accounts still counts. 0 in replay (its reorder window sorts the stream), a few
   * minutes in Lambda, where SQS batches are only roughly in event-time order.
   */
  latenessMinutes?: number;
  /**
   * Deployed: an expired removal stays in the store until `settle()` is called after its finding
   * was delivered, so a failed delivery (batch redelivered, sweep retried) pages again rather than
   * losing the page. Replay: removed at once (default false).
   */
  settleAfterDelivery?: boolean;
}

export interface MfaReplacementStats {
  removals: number;
  replaced: number;
  notReplaced: number;
}

const REMOVALS = new Set(['DeactivateMFADevice', 'DeleteVirtualMFADevice']);

/** The IAM user an MFA call is about (undefined for root's device, or when no user can be named). */
function userOf(event: TrailEvent): string | undefined {
  return mfaSubject(event).user;
}

/**
 * "An MFA device replaced is not MFA removed": watches the stream, in event-time order, for an IAM
 * user's MFA removal (deactivate and/or delete) and waits `windowMinutes` for the same caller to
 * enable a new device for the same user (EnableMFADevice). Replaced: no page (counted). Not
 * replaced by the deadline — or still pending when the input ends, or when the wall-clock sweep
 * finds it overdue — : one high `mfa-deactivated` finding, marked `inherentRisk`. Root MFA is not
 * judged here (the detection pages on it at once). While this processor runs, the stateless
 * detection reports user MFA removals as low ("replacement check pending", see
 * `DetectionContext.mfaReplacement`).
 *
 * Replay runs it with the memory store; the deployed rates function runs it on every SQS batch with
 * the DynamoDB store, and a scheduled sweep (`sweep`) pages what no later event settled.
 */
export class MfaReplacementProcessor implements StreamProcessor {
  readonly name = 'mfa-replacement';
  /** Whose MFA device changed (`mfaSubject`). */
  readonly requestParameters: readonly string[] = ['serialNumber', 'userName'];
  readonly stats: MfaReplacementStats = { removals: 0, replaced: 0, notReplaced: 0 };
  private readonly windowMs: number;
  private readonly latenessMs: number;
  private readonly settleAfterDelivery: boolean;
  /** Expired removals whose finding is out but not yet delivered (settleAfterDelivery). */
  private unsettled = new Map<string, string>();
  readonly detectionContext: Partial<DetectionContext>;

  constructor(
    private readonly store: MfaStore = new MemoryMfaStore(),
    options: MfaReplacementOptions = {},
  ) {
    const windowMinutes = options.windowMinutes ?? DEFAULT_REPLACEMENT_WINDOW_MINUTES;
    this.windowMs = windowMinutes * 60_000;
    this.latenessMs = (options.latenessMinutes ?? 0) * 60_000;
    this.settleAfterDelivery = options.settleAfterDelivery ?? false;
    this.detectionContext = { mfaReplacement: { windowMinutes } };
  }

  async process(events: readonly TrailEvent[]): Promise<Finding[]> {
    const out: Finding[] = [];
    // Only MFA changes are acted on, in event-time order: those few are picked out and sorted (a
    // stable sort of a subset keeps the order it has in the sorted batch), not the whole batch.
    const relevant: TrailEvent[] = [];
    let newest = Number.NEGATIVE_INFINITY;
    // Indexed, not for-of: until this loop is optimised, for-of allocates an iterator result per event.
    for (let i = 0; i < events.length; i += 1) {
      const e = events[i] as TrailEvent;
      if (!Number.isFinite(e.timeMs)) continue;
      if (e.timeMs > newest) newest = e.timeMs;
      if (e.source === 'iam.amazonaws.com' && !e.errorCode && (REMOVALS.has(e.name) || e.name === 'EnableMFADevice')) relevant.push(e);
    }
    if (newest === Number.NEGATIVE_INFINITY) return out;
    if (relevant.length > 1) relevant.sort((a, b) => a.timeMs - b.timeMs);
    for (const e of relevant) {
      if (REMOVALS.has(e.name)) out.push(...(await this.onRemoval(e)));
      else await this.onEnable(e);
    }
    // One look at the deadlines per batch (one read with the DynamoDB store): a removal whose
    // deadline lies before the batch's newest event (less the lateness allowed) was not replaced in
    // time (onEnable refuses late ones, so the verdict depends on event times only).
    out.push(...(await this.expireDue(newest - this.latenessMs - 1)));
    return out;
  }

  /**
   * Wall-clock sweep (deployed, on a schedule): pages every removal whose deadline is at or before
   * `timeMs` — the caller passes now minus the delivery margin — so a removal pages within a
   * bounded time even when no further CloudTrail event arrives to move the stream past it.
   */
  async sweep(timeMs: number): Promise<Finding[]> {
    return this.expireDue(timeMs);
  }

  /** End of input: removals still waiting were not replaced within the data — they page. */
  async flush(): Promise<Finding[]> {
    const out: Finding[] = [];
    for (const p of await this.store.all()) if (!this.unsettled.has(p.key)) out.push(await this.expire(p));
    return out;
  }

  /** The removals still waiting (for the sweep's log line and tests). */
  async pending(): Promise<PendingRemoval[]> {
    return this.store.all();
  }

  /** After the findings of the last `process`/`sweep`/`flush` were delivered: forget the removals they reported. */
  async settle(): Promise<void> {
    const done = [...this.unsettled];
    this.unsettled = new Map();
    for (const [key, eventId] of done) await this.store.delete(key, eventId);
  }

  /** Delivery failed: keep the reported removals pending, so the retry reports them again. */
  abandon(): void {
    this.unsettled = new Map();
  }

  private async expireDue(timeMs: number): Promise<Finding[]> {
    const out: Finding[] = [];
    for (const due of await this.store.due(timeMs)) if (!this.unsettled.has(due.key)) out.push(await this.expire(due));
    return out;
  }

  private async onRemoval(e: TrailEvent): Promise<Finding[]> {
    if (mfaSubject(e).root) return [];
    const serial = str(e.requestParameters?.['serialNumber']);
    // DeleteVirtualMFADevice names only the device, whose name need not be the user's: a delete of a
    // device another pending removal of this account deactivated belongs to that removal.
    if (!str(e.requestParameters?.['userName']) && serial) {
      const owner = (await this.store.all()).find((p) => p.account === e.account && p.serials.includes(serial) && !this.unsettled.has(p.key) && p.deadlineMs >= e.timeMs);
      if (owner) return [];
    }
    const user = userOf(e);
    if (!user) return [];
    const key = `${e.account}|${user}`;
    const existing = await this.store.get(key);
    const expired: Finding[] = [];
    if (existing && !this.unsettled.has(key) && existing.deadlineMs < e.timeMs) {
      // An earlier removal of this user ran out before this one: it pages on its own.
      expired.push(await this.expire(existing));
    } else if (existing && !this.unsettled.has(key)) {
      if (serial && !existing.serials.includes(serial)) {
        existing.serials.push(serial);
        await this.store.put(existing);
      }
      return [];
    }
    // An expired removal of this user whose page is not delivered yet must survive this new
    // removal taking its key: it is parked under its own key (already due), so a failed delivery
    // pages it again, and settle() forgets it.
    if (existing && this.unsettled.has(key)) {
      const parked: PendingRemoval = { ...existing, key: `${key}|expired|${existing.eventId}` };
      await this.store.put(parked);
      this.unsettled.delete(key);
      this.unsettled.set(parked.key, parked.eventId);
    }
    this.stats.removals += 1;
    const f = makeFinding(mfaMeta, e, { title: '', severity: 'high' });
    await this.store.put({
      key,
      account: e.account,
      userName: user,
      serials: serial ? [serial] : [],
      actor: principalIdentity(e),
      eventId: e.id,
      timeMs: e.timeMs,
      deadlineMs: e.timeMs + this.windowMs,
      snapshot: { eventName: f.eventName, eventSource: f.eventSource, time: f.time, region: f.region, principal: f.principal, ...(f.sourceIp ? { sourceIp: f.sourceIp } : {}), ...(f.userAgent ? { userAgent: f.userAgent } : {}) },
    });
    return expired;
  }

  private async onEnable(e: TrailEvent): Promise<void> {
    const user = userOf(e);
    if (!user) return;
    const key = `${e.account}|${user}`;
    const pending = await this.store.get(key);
    // Only the caller who removed the device replacing it counts (the user themselves, or the same
    // admin); a different principal enabling a device is a different story and the removal still pages.
    if (!pending || this.unsettled.has(key) || pending.actor !== principalIdentity(e) || e.timeMs > pending.deadlineMs) return;
    this.stats.replaced += 1;
    await this.store.delete(key, pending.eventId);
  }

  private async expire(p: PendingRemoval): Promise<Finding> {
    if (this.settleAfterDelivery) this.unsettled.set(p.key, p.eventId);
    else await this.store.delete(p.key, p.eventId);
    this.stats.notReplaced += 1;
    const s = p.snapshot as Pick<Finding, 'eventName' | 'eventSource' | 'time' | 'region' | 'principal' | 'sourceIp' | 'userAgent'>;
    const minutes = Math.round(this.windowMs / 60_000);
    const finding: Finding = {
      detection: mfaMeta.id,
      severity: 'high',
      title: `MFA of user ${p.userName} in ${p.account} was removed by ${s.principal.name} and no new device was enabled within ${minutes} minutes`,
      eventId: `${p.eventId}-not-replaced`,
      eventName: s.eventName,
      eventSource: s.eventSource,
      time: s.time,
      account: p.account,
      region: s.region,
      principal: s.principal,
      details: { userName: p.userName, serialNumbers: p.serials, firstEventId: p.eventId, replacement: `none within ${minutes} minutes`, replacementWindowMinutes: minutes },
      runbook: mfaMeta.runbook,
      references: mfaMeta.references,
      inherentRisk: `MFA removed from IAM user ${p.userName} and not replaced`,
    };
    if (s.sourceIp) finding.sourceIp = s.sourceIp;
    if (s.userAgent) finding.userAgent = s.userAgent;
    return finding;
  }
}
