import type { Alert, IncidentPageNote } from '../alerts/format.ts';
import type { Finding, Severity } from '../model/types.ts';
import type { AlertChannel } from './channels.ts';
import type { DeadLetter, DeadLetterQueue } from './dead-letter.ts';
import { dedupKey, type ClaimStore } from './dedup-store.ts';
import type { DigestStore } from './digest-store.ts';
import { deliveryPath, type DeliveryPath } from './grouping.ts';
import { DEFAULT_INCIDENT_WINDOW_MS, incidentKey, incidentTime, type IncidentDecision, type IncidentStore } from './incidents.ts';
import { emptyStats, type NotifyStats } from './metrics.ts';
import { DeliveryError } from './webhook.ts';

/** Structured log sink (Powertools Logger in Lambda, a console shim locally). */
export interface NotifyLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Where an incident's follow-ups are grouped: the digest table in Lambda, memory locally. */
export interface FollowUpGroups {
  addFollowUp(finding: Finding, now: number, incident: { key: string; pagedAt: number; severity: Severity }): Promise<void>;
}

export interface NotifierDeps {
  channels: readonly AlertChannel[];
  deadLetters: DeadLetterQueue;
  /** Absent: no de-duplication (local replay, where each event is read once). */
  dedup?: ClaimStore;
  /** Absent: every finding is sent at once (local replay). */
  digests?: DigestStore;
  clock?: () => number;
  log: NotifyLog;
  /**
   * Incident state (docs/alerts.md, "No page storms: incidents"). With it, a finding that would page
   * pages only when it opens an incident (detection, account, principal), re-opens one that went
   * quiet for `incidentWindowMs`, or raises its severity; the others become follow-ups. Absent:
   * every page-worthy finding pages.
   */
  incidents?: IncidentStore;
  /** Follow-up groups (default: `digests`). Incidents need one of the two. */
  followUps?: FollowUpGroups;
  /** Incident window after its last page-worthy finding (default 1 h). */
  incidentWindowMs?: number;
  /** Detection ids that are always sent at once, whatever their severity (critical always is). */
  immediateDetections?: readonly string[];
  /**
   * Time one flush may spend sending before it hands the remaining groups back for the next run
   * (keeps a flush well inside the Lambda timeout when Slack is slow). Default 60 s.
   */
  flushBudgetMs?: number;
}

/** Per call: the absolute time (epoch ms, the notifier's clock) by which all sending must be over. */
export interface RunOptions {
  deadline?: number;
}

/**
 * The delivery policy in one place: alert once per (detection, eventID); follow the finding's route
 * (page now, digest, once-a-day summary, record only) or, without one, send critical findings at
 * once and group the rest per (detection, principal, window) into digests; page once per incident
 * (detection, account, principal) and send its further page-worthy findings as follow-up digests
 * unless the severity rises or the incident went quiet; never drop a failed alert — it goes to the
 * dead-letter queue; never re-send a channel that already accepted it.
 * Channels and stores are injected, so the same logic runs in Lambda (DynamoDB, SQS) and in tests
 * (dynalite, a local fake Slack).
 */
export class Notifier {
  readonly #deps: NotifierDeps;
  readonly #clock: () => number;

  constructor(deps: NotifierDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? Date.now;
  }

  /** The path a finding takes: `route` first; without one, critical/immediate pages and the rest is digested (`deliveryPath`). */
  pathOf(f: Finding): DeliveryPath {
    return deliveryPath(f, this.#deps.immediateDetections);
  }

  /**
   * Handles findings from the alerts topic. Throws only when an alert could be neither delivered
   * nor dead-lettered (then its claim is released and the caller's retry / on-failure path runs).
   */
  async handle(findings: readonly Finding[], stats: NotifyStats = emptyStats(), options: RunOptions = {}): Promise<NotifyStats> {
    const { dedup, digests, log } = this.#deps;
    let fatal: Error | undefined;
    for (const finding of findings) {
      const path = this.pathOf(finding);
      if (path === 'record') {
        // Routed to the record only: findings bus, metrics and JSON already have it; no message.
        stats.recorded += 1;
        continue;
      }
      const key = dedupKey(finding.detection, finding.eventId);
      const now = this.#clock();
      // Fail open: if the dedup table cannot be reached, a possible duplicate beats a missed alert.
      let claimed = false;
      let alreadySent: string[] = [];
      if (dedup) {
        try {
          const claim = await dedup.claim(key, now);
          if (claim.status === 'duplicate') {
            stats.duplicates += 1;
            log.info('duplicate finding suppressed', { detection: finding.detection, eventId: finding.eventId });
            continue;
          }
          claimed = true;
          alreadySent = claim.sent;
        } catch (error) {
          log.warn('dedup store unavailable; alerting without de-duplication', { eventId: finding.eventId, error: (error as Error).message });
        }
      }
      const claim = claimed ? dedup : undefined;
      const followUps = this.#deps.followUps ?? digests;
      try {
        let incident: IncidentPageNote | undefined;
        if (path === 'page' && this.#deps.incidents && followUps) {
          const incidentId = incidentKey(finding);
          const decision = await this.#incident(finding, incidentId, key, now);
          if (decision && !decision.page) {
            await followUps.addFollowUp(finding, now, { key: incidentId, pagedAt: decision.state.pagedAt, severity: decision.state.severity });
            stats.grouped += 1;
            stats.followUps += 1;
            await claim?.complete(key, this.#clock(), 'digested');
            continue;
          }
          if (decision?.page && decision.reason !== 'new' && decision.previous) {
            incident = { reason: decision.reason, previousSeverity: decision.previous.severity, previousPagedAt: new Date(decision.previous.pagedAt).toISOString() };
            log.info('incident paged again', { detection: finding.detection, eventId: finding.eventId, reason: decision.reason });
          }
        }
        if (digests && path === 'summary') {
          await digests.addToSummary(finding, now);
          stats.grouped += 1;
          await claim?.complete(key, this.#clock(), 'digested');
        } else if (digests && path === 'digest') {
          await digests.add(finding, now);
          stats.grouped += 1;
          await claim?.complete(key, this.#clock(), 'digested');
        } else {
          const outcome = await this.deliver({ kind: 'finding', finding, ...(incident ? { incident } : {}) }, stats, {
            ...options,
            alreadySent,
            ...(claim ? { onSent: (channel: string) => claim.markSent(key, channel) } : {}),
          });
          await claim?.complete(key, this.#clock(), outcome);
        }
      } catch (error) {
        log.error('alert could not be delivered nor dead-lettered; releasing claim for retry', {
          detection: finding.detection,
          eventId: finding.eventId,
          error: (error as Error).message,
        });
        await claim?.release(key).catch(() => undefined);
        fatal ??= error as Error;
      }
    }
    if (fatal) throw fatal;
    return stats;
  }

  /**
   * The incident decision for a page-worthy finding (`incidentId`: its `incidentKey`, computed once
   * by the caller). Fails open: when the incident store cannot be reached the finding pages
   * (logged), as a possible extra page beats a missed one.
   */
  async #incident(finding: Finding, incidentId: string, key: string, now: number): Promise<IncidentDecision | undefined> {
    const store = this.#deps.incidents;
    if (!store) return undefined;
    try {
      return await store.decide(incidentId, finding.severity, key, incidentTime(finding, now), this.#deps.incidentWindowMs ?? DEFAULT_INCIDENT_WINDOW_MS);
    } catch (error) {
      this.#deps.log.warn('incident store unavailable; paging without incident grouping', { eventId: finding.eventId, error: (error as Error).message });
      return undefined;
    }
  }

  /** Sends every digest (and daily summary) whose window has closed (the scheduled flush). */
  async flush(stats: NotifyStats = emptyStats(), options: RunOptions = {}): Promise<NotifyStats> {
    const { digests, log } = this.#deps;
    if (!digests) return stats;
    const started = this.#clock();
    const stopAt = Math.min(started + (this.#deps.flushBudgetMs ?? 60_000), options.deadline ?? Number.POSITIVE_INFINITY);
    const claimed = await digests.claimDue(started);
    for (const [i, group] of claimed.entries()) {
      if (this.#clock() >= stopAt) {
        const rest = claimed.slice(i);
        log.warn('flush budget used up; handing the remaining digests to the next run', { remaining: rest.length });
        for (const g of rest) await digests.giveBack(g.pk).catch(() => undefined);
        break;
      }
      const digest = group.digest;
      // A "group" of one is just an alert: send it in the familiar single-finding shape (a summary stays a summary).
      // An incident's follow-up stays a follow-up even alone (sent as a single alert it would look like a new page).
      const alert: Alert = digest.count === 1 && digest.samples[0] && !digest.summary && !digest.incident ? { kind: 'finding', finding: digest.samples[0] } : { kind: 'digest', digest };
      try {
        // Channels retry internally; a channel that still fails dead-letters the digest right away
        // rather than re-sending it later to the channels that did get it.
        const outcome = await this.deliver(alert, stats, { deadline: stopAt, alreadySent: group.sent, onSent: (channel) => digests.markSent(group.pk, channel) });
        if (outcome === 'delivered' && alert.kind === 'digest') {
          if (digest.summary) stats.summaries += 1;
          else stats.digests += 1;
        }
        await digests.finish(group.pk);
      } catch (error) {
        // Only reached when even the DLQ failed: the next flush (after the lease) tries again.
        log.error('digest could not be delivered nor dead-lettered; the next flush retries it', { group: group.pk, attempt: group.attempt, error: (error as Error).message });
        await digests.giveBack(group.pk).catch(() => undefined);
      }
    }
    return stats;
  }

  /**
   * Sends one alert to every channel that has not yet accepted it (each retries on its own, inside
   * the deadline). Each success is recorded through `onSent` before the next channel is tried.
   * Channels that still fail go to the dead-letter queue with the alert; throws only when the DLQ
   * itself cannot be written.
   */
  async deliver(
    alert: Alert,
    stats: NotifyStats,
    options: RunOptions & { alreadySent?: readonly string[]; onSent?: (channel: string) => Promise<void> } = {},
  ): Promise<'delivered' | 'dead-lettered'> {
    const failed: DeadLetter['failedChannels'] = [];
    const skip = new Set(options.alreadySent ?? []);
    if (skip.size > 0) this.#deps.log.info('retry: channels that already accepted this alert are skipped', { channels: [...skip] });
    for (const channel of this.#deps.channels) {
      if (skip.has(channel.name)) continue;
      try {
        const outcome = await channel.send(alert, options.deadline !== undefined ? { timeLeftMs: options.deadline - this.#clock() } : {});
        const unconfirmed = outcome?.unconfirmed ?? 0;
        if (unconfirmed > 0) {
          stats.possibleDuplicates += unconfirmed;
          this.#deps.log.warn('delivered after unconfirmed attempts: the channel may show this alert more than once', { channel: channel.name, unconfirmed });
        }
        await options.onSent?.(channel.name).catch((error: Error) =>
          this.#deps.log.warn('could not record the channel as sent; a retry may send it again', { channel: channel.name, error: error.message }),
        );
      } catch (error) {
        const e = error as Error;
        failed.push({
          channel: channel.name,
          reason: e.message,
          ...(e instanceof DeliveryError
            ? { attempts: e.attempts, ...(e.status !== undefined ? { status: e.status } : {}), ...(e.unconfirmed > 0 ? { unconfirmed: e.unconfirmed } : {}) }
            : {}),
        });
      }
    }
    if (failed.length === 0) {
      stats.alertsSent += 1;
      return 'delivered';
    }
    stats.deliveriesFailed += 1;
    this.#deps.log.error('alert delivery failed; sending to the dead-letter queue', { failed, kind: alert.kind });
    await this.#deps.deadLetters.send({ alert, failedChannels: failed, at: new Date(this.#clock()).toISOString() });
    stats.deadLettered += 1;
    return 'dead-lettered';
  }
}
