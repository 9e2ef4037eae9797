/**
 * Test oracle: shared/rates/detector.ts as it was before the rates-perf rewrite (main at 9ad5b0b), kept
 * verbatim except for import paths so test/rates/equivalence.test.ts can run the old and the new
 * code paths side by side on the same seeded corpora. Not used by any shipped code.
 */
import type { Finding, Skip, TrailEvent } from '../../../shared/model/types.ts';
import { addEvent, top, type KeyAggregate } from './aggregate.ts';
import { onAnomalousMinute, type BurstState } from '../../../shared/rates/bursts.ts';
import type { RateConfig } from '../../../shared/rates/config.ts';
import { RecentIds } from '../../../shared/rates/dedupe.ts';
import { burstFinding, burstSeverity } from '../../../shared/rates/findings.ts';
import { MINUTE_MS, minuteOf, principalIdentity } from '../../../shared/rates/keys.ts';
import { decayTo, evaluate, fold, type Baseline } from './model.ts';
import type { KeyState, KeyWrite, RateStore } from './store.ts';

export interface RateStats {
  /** Events counted (after dedupe and skips). */
  counted: number;
  duplicates: number;
  skipped: number;
  /** Key-minutes that arrived after their minute was folded into the baseline (counted, not evaluated). */
  lateKeyMinutes: number;
  /** Findings dropped because a broader key (the principal) already alerted on the same burst. */
  suppressed: number;
  /** Findings not raised because another invocation already recorded the burst. */
  lostBurstRaces: number;
  batches: number;
}

export interface RateDetectorOptions {
  /** Collect top names / IPs per key-minute (on in production; the benchmark measures both). */
  withDetails?: boolean;
  /** Cached key states (LRU bound). */
  cacheSize?: number;
}

/** Per-event time the event was delivered, for the clock-skew check (undefined: no check). */
export type DeliveryTime = (event: TrailEvent) => number | undefined;

export interface RateBatchResult {
  findings: Finding[];
  skips: Skip[];
}

/**
 * The API-rate anomaly engine: dedupes, aggregates a batch in memory per (key, minute), writes
 * each key once (ADD counts, fold completed minutes), scores the touched minutes against the key's
 * own baseline, and raises one finding per burst. Pure logic over a `RateStore`.
 */
export class RateDetector {
  readonly stats: RateStats = { counted: 0, duplicates: 0, skipped: 0, lateKeyMinutes: 0, suppressed: 0, lostBurstRaces: 0, batches: 0 };
  private readonly recent: RecentIds;
  private readonly cache = new Map<string, KeyState>();
  private readonly withDetails: boolean;
  private readonly cacheSize: number;

  constructor(
    private readonly store: RateStore,
    private readonly config: RateConfig,
    options: RateDetectorOptions = {},
  ) {
    this.recent = new RecentIds(config.dedupeWindow);
    this.withDetails = options.withDetails ?? true;
    this.cacheSize = options.cacheSize ?? 500_000;
  }

  /**
   * Processes one batch. Events are sorted by eventTime and split into chunks that span less than
   * the lateness window, so a long replay batch is folded minute by minute exactly as live traffic.
   */
  async process(events: readonly TrailEvent[], deliveryTime?: DeliveryTime): Promise<RateBatchResult> {
    const skips: Skip[] = [];
    const accepted: TrailEvent[] = [];
    for (const e of events) {
      if (!Number.isFinite(e.timeMs)) {
        skips.push({ reason: 'rates: event has no usable eventTime', eventId: e.id });
        continue;
      }
      const delivered = deliveryTime?.(e);
      if (delivered !== undefined && e.timeMs - delivered > this.config.maxFutureSkewMinutes * MINUTE_MS) {
        skips.push({ reason: `rates: eventTime more than ${this.config.maxFutureSkewMinutes} min after delivery (clock skew)`, eventId: e.id });
        continue;
      }
      if (this.recent.seen(e.id)) {
        this.stats.duplicates += 1;
        skips.push({ reason: 'rates: duplicate eventID (at-least-once redelivery)', eventId: e.id });
        continue;
      }
      accepted.push(e);
    }
    this.stats.skipped += skips.length;
    accepted.sort((a, b) => a.timeMs - b.timeMs);
    const findings: Finding[] = [];
    const span = Math.max(1, Math.floor(this.config.latenessMinutes / 2)) * MINUTE_MS;
    let start = 0;
    while (start < accepted.length) {
      const first = accepted[start] as TrailEvent;
      let end = start;
      while (end < accepted.length && (accepted[end] as TrailEvent).timeMs - first.timeMs < span) end += 1;
      findings.push(...(await this.processChunk(accepted.slice(start, end))));
      start = end;
    }
    return { findings, skips };
  }

  private async processChunk(events: readonly TrailEvent[]): Promise<Finding[]> {
    this.stats.batches += 1;
    this.stats.counted += events.length;
    const aggregates = new Map<string, KeyAggregate>();
    for (const e of events) addEvent(aggregates, e, this.withDetails);

    const ttl = Math.floor((Math.max(...events.map((e) => e.timeMs)) + this.config.ttlDays * 86_400_000) / 1000);
    const writes: KeyWrite[] = [];
    for (const [id, agg] of aggregates) {
      const adds = new Map<number, number>();
      for (const [m, a] of agg.minutes) adds.set(m, a.count);
      const write: KeyWrite = { keyId: id, adds, ttl };
      const cached = this.cache.get(id);
      const folded = cached ? this.foldFrom(cached, agg, adds) : undefined;
      if (folded) write.fold = folded;
      writes.push(write);
    }
    const states = await this.store.apply(writes);
    // A cold cache, or another invocation writing the same key in between, leaves completed minutes
    // unfolded: fold them now from the fresh state (one more conditional write, only for those keys),
    // so concurrent consumers cannot starve the baseline.
    const followUps: KeyWrite[] = [];
    for (const [id, agg] of aggregates) {
      const state = states.get(id);
      const fold = state ? this.foldFrom(state, agg, new Map()) : undefined;
      if (fold) followUps.push({ keyId: id, adds: new Map(), fold, ttl });
    }
    if (followUps.length > 0) for (const [id, state] of await this.store.apply(followUps)) states.set(id, state);

    const candidates: Array<{ agg: KeyAggregate; finding: Finding }> = [];
    /** Principals with an anomalous minute in this chunk (alerting now or continuing a burst). */
    const hotPrincipals = new Set<string>();
    for (const [id, agg] of aggregates) {
      const state = states.get(id);
      if (!state) continue;
      this.remember(id, state);
      const t = this.config[agg.key.dimension];
      const foldedThrough = state.baseline?.foldedThrough ?? Number.NEGATIVE_INFINITY;
      let burst: BurstState | null = state.burst;
      const expectedId = burst?.id ?? null;
      let changed = false;
      const raised: Finding[] = [];
      for (const minute of [...agg.minutes.keys()].sort((a, b) => a - b)) {
        if (minute <= foldedThrough) {
          this.stats.lateKeyMinutes += 1;
          continue;
        }
        const observed = state.counts.get(minute);
        if (observed === undefined) continue;
        const baseline = this.provisional(state, minute, agg);
        const ev = evaluate(baseline ? decayTo(baseline, minute, this.config) : null, minute, observed, t, this.config);
        if (!ev.anomalous) continue;
        if (agg.key.dimension === 'principal') hotPrincipals.add(`${agg.key.account}|${agg.key.subject}`);
        const decision = onAnomalousMinute(id, burst, minute, observed, this.config, (facts) => burstSeverity(agg.key, ev, facts, t));
        burst = decision.next;
        changed = true;
        const minuteAgg = agg.minutes.get(minute);
        if (decision.alert && minuteAgg) raised.push(burstFinding(agg.key, minute, minuteAgg, ev, decision));
      }
      if (changed && burst) {
        const saved = await this.store.saveBurst(id, expectedId, burst, ttl);
        if (!saved) {
          this.stats.lostBurstRaces += raised.length;
          this.cache.delete(id);
          continue;
        }
        const cached = this.cache.get(id);
        if (cached) cached.burst = burst;
        for (const finding of raised) candidates.push({ agg, finding });
      }
    }
    return this.suppressNarrower(candidates, hotPrincipals);
  }

  /** Fold of completed minutes computed from a known state (applied only if that state is still current). */
  private foldFrom(cached: KeyState, agg: KeyAggregate, adds: Map<number, number>): KeyWrite['fold'] | undefined {
    const t = this.config[agg.key.dimension];
    let baseline: Baseline | null = cached.baseline;
    const done = baseline?.foldedThrough ?? Number.NEGATIVE_INFINITY;
    const minutes = new Set([...cached.counts.keys(), ...adds.keys()]);
    const maxMinute = Math.max(...minutes);
    const watermark = maxMinute - this.config.latenessMinutes;
    if (minutes.size === 0) return undefined;
    // Minutes at or before foldedThrough (late beyond the window) are removed without being learned.
    const toFold = [...minutes].filter((m) => m <= watermark || m <= done).sort((a, b) => a - b);
    if (toFold.length === 0) return undefined;
    for (const m of toFold) {
      if (m <= done) continue;
      baseline = fold(baseline, m, (cached.counts.get(m) ?? 0) + (adds.get(m) ?? 0), t, this.config);
    }
    if (!baseline) return undefined;
    return { expectVersion: cached.version, baseline, removeMinutes: toFold };
  }

  /** The baseline with the not-yet-folded minutes before `minute` folded in memory (not persisted). */
  private provisional(state: KeyState, minute: number, agg: KeyAggregate): Baseline | null {
    let b = state.baseline;
    const t = this.config[agg.key.dimension];
    const earlier = [...state.counts.keys()].filter((m) => m < minute && m > (b?.foldedThrough ?? Number.NEGATIVE_INFINITY)).sort((x, y) => x - y);
    for (const m of earlier) b = fold(b, m, state.counts.get(m) ?? 0, t, this.config);
    return b;
  }

  private remember(id: string, state: KeyState): void {
    this.cache.delete(id);
    this.cache.set(id, state);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /**
   * A stolen key's burst shows up under its principal, its access key and often its API. Keep the
   * principal finding; drop access-key findings of a principal in a burst, and API findings whose
   * calls came mostly (>= 50%) from such a principal.
   */
  private suppressNarrower(candidates: Array<{ agg: KeyAggregate; finding: Finding }>, alerted: Set<string>): Finding[] {
    const out: Finding[] = [];
    for (const { agg, finding } of candidates) {
      const { dimension, account } = agg.key;
      let drop = false;
      if (dimension === 'accessKey') {
        const firstMinute = agg.minutes.values().next().value;
        drop = firstMinute !== undefined && alerted.has(`${account}|${principalIdentity(firstMinute.firstEvent)}`);
      } else if (dimension === 'api') {
        const m = [...agg.minutes.values()];
        const principals = new Map<string, number>();
        let total = 0;
        for (const a of m) {
          total += a.count;
          for (const [p, n] of a.principals) principals.set(p, (principals.get(p) ?? 0) + n);
        }
        const lead = top(principals, 1)[0];
        drop = lead !== undefined && lead.count >= total / 2 && alerted.has(`${account}|${lead.value}`);
      }
      if (drop) this.stats.suppressed += 1;
      else out.push(finding);
    }
    return out;
  }
}

/** Convenience for tests: the minute bucket of an ISO time. */
export function minuteOfIso(iso: string): number {
  return minuteOf(Date.parse(iso));
}
