import type { Finding, Skip, TrailEvent } from '../model/types.ts';
import { bareAggregate, collectDetails, countChunk, KeyTable, releaseChunk, top, type KeySlot, type MinuteAggregate, type MinuteCount } from './aggregate.ts';
import { onAnomalousMinute, type BurstDecision, type BurstState } from './bursts.ts';
import type { RateConfig } from './config.ts';
import { RecentIds } from './dedupe.ts';
import { eventIdHash } from '../model/id-hash.ts';
import { burstFinding, burstSeverity } from './findings.ts';
import { MINUTE_MS, minuteOf, principalIdentity, type Dimension } from './keys.ts';
import { decayTo, evaluate, fold, foldInPlace, type Baseline, type Evaluation } from './model.ts';
import type { KeyState, KeyWrite, LiveItem, LiveRateState, RateStore } from './store.ts';

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

/** A finding decided during scoring, built once the chunk's breakdowns are known. */
interface Raised {
  minute: number;
  ev: Evaluation;
  decision: BurstDecision;
}

interface Candidate extends Raised {
  slot: KeySlot;
}

/** A key's provisional baseline so far while its minutes are scored: the unfolded minutes before `before`, folded. */
interface Provisional {
  baseline: Baseline | null;
  before: number;
}

const EMPTY: ReadonlyMap<number, number> = new Map();
/** The live path reads each slot's own state. */
const NO_STATES: ReadonlyArray<KeyState | undefined> = [];

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
  /** Interned keys with their chunk counts and cached states (the LRU-bounded cache). */
  private readonly keys = new KeyTable();
  private readonly scratch: KeySlot[] = [];
  private chunkSeq = 0;
  /** Slots holding a cached state. */
  private cached = 0;
  private evictionBlockedIn = -1;
  private readonly withDetails: boolean;
  private readonly cacheSize: number;
  /** Per dimension: the count below which a minute cannot be anomalous (the smaller of `minCount` and `newKeyCount`). */
  private readonly floors: Record<Dimension, number>;

  constructor(
    private readonly store: RateStore,
    private readonly config: RateConfig,
    options: RateDetectorOptions = {},
  ) {
    this.recent = new RecentIds(config.dedupeWindow);
    this.withDetails = options.withDetails ?? true;
    this.cacheSize = options.cacheSize ?? 500_000;
    const floor = (t: RateConfig['principal']) => Math.min(t.minCount, t.newKeyCount);
    this.floors = { principal: floor(config.principal), accessKey: floor(config.accessKey), api: floor(config.api), errors: floor(config.errors) };
  }

  /**
   * Processes one batch. Events are sorted by eventTime and split into chunks that span less than
   * the lateness window, so a long replay batch is folded minute by minute exactly as live traffic.
   */
  async process(events: readonly TrailEvent[], deliveryTime?: DeliveryTime): Promise<RateBatchResult> {
    const skips: Skip[] = [];
    const accepted: TrailEvent[] = [];
    // Indexed, not for-of: before this loop is optimised (a replay runs it ~100 times), for-of
    // allocates an iterator result per event.
    for (let i = 0; i < events.length; i += 1) {
      const e = events[i] as TrailEvent;
      if (!Number.isFinite(e.timeMs)) {
        skips.push({ reason: 'rates: event has no usable eventTime', eventId: e.id });
        continue;
      }
      const delivered = deliveryTime?.(e);
      if (delivered !== undefined && e.timeMs - delivered > this.config.maxFutureSkewMinutes * MINUTE_MS) {
        skips.push({ reason: `rates: eventTime more than ${this.config.maxFutureSkewMinutes} min after delivery (clock skew)`, eventId: e.id });
        continue;
      }
      if (this.recent.seen(e.id, eventIdHash(e))) {
        this.stats.duplicates += 1;
        skips.push({ reason: 'rates: duplicate eventID (at-least-once redelivery)', eventId: e.id });
        continue;
      }
      accepted.push(e);
    }
    this.stats.skipped += skips.length;
    // Stable sort by event time; SQS batches and replay chunks usually arrive sorted already.
    let sorted = true;
    for (let i = 1; i < accepted.length && sorted; i += 1) if ((accepted[i] as TrailEvent).timeMs < (accepted[i - 1] as TrailEvent).timeMs) sorted = false;
    if (!sorted) accepted.sort((x, y) => x.timeMs - y.timeMs);
    const findings: Finding[] = [];
    const span = Math.max(1, Math.floor(this.config.latenessMinutes / 2)) * MINUTE_MS;
    let start = 0;
    while (start < accepted.length) {
      const first = accepted[start] as TrailEvent;
      let end = start;
      while (end < accepted.length && (accepted[end] as TrailEvent).timeMs - first.timeMs < span) end += 1;
      const chunk = start === 0 && end === accepted.length ? accepted : accepted.slice(start, end);
      for (const f of await this.processChunk(chunk)) findings.push(f);
      start = end;
    }
    return { findings, skips };
  }

  private async processChunk(events: readonly TrailEvent[]): Promise<Finding[]> {
    this.stats.batches += 1;
    this.stats.counted += events.length;
    const chunk = (this.chunkSeq += 1);
    const touched = countChunk(this.keys, events, chunk, this.scratch);
    // Events are time-sorted: the last one is the newest.
    const newestMs = (events[events.length - 1] as TrailEvent).timeMs;
    const ttl = Math.floor((newestMs + this.config.ttlDays * 86_400_000) / 1000);
    const live = this.store.live;
    if (live) {
      // Keys whose every minute is below the floor are settled (and released) by the update itself.
      const scored: KeySlot[] = [];
      try {
        this.updateLive(live, touched, chunk, ttl, scored);
        return await this.scoreChunk(events, scored, NO_STATES, ttl, live);
      } finally {
        releaseChunk(scored);
      }
    }
    try {
      const states = await this.writeChunk(touched, chunk, ttl);
      return await this.scoreChunk(events, touched, states, ttl, undefined);
    } finally {
      releaseChunk(touched);
    }
  }

  /**
   * Scores the chunk's minutes of `slots` against their keys' states (`states[i]` for `slots[i]`)
   * and raises one finding per burst. With `live`, the update already counted the late minutes and
   * left each minute's total in `MinuteCount.total` (-1: at or before `foldedThrough`).
   */
  private async scoreChunk(events: readonly TrailEvent[], slots: readonly KeySlot[], states: ReadonlyArray<KeyState | undefined>, ttl: number, live: LiveRateState | undefined): Promise<Finding[]> {
    const candidates: Candidate[] = [];
    /** Principals with an anomalous minute in this chunk (alerting now or continuing a burst). */
    const hotPrincipals = new Set<string>();
    for (let i = 0; i < slots.length; i += 1) {
      const slot = slots[i] as KeySlot;
      const id = slot.key.id;
      const state = live ? slot.state : states[i];
      if (!state) continue;
      const t = this.config[slot.key.dimension];
      // A minute under both the learned floor and the never-seen threshold cannot be anomalous
      // whatever the baseline (see `evaluate`): most key-minutes stop here, unscored.
      const floor = Math.min(t.minCount, t.newKeyCount);
      const foldedThrough = state.baseline?.foldedThrough ?? Number.NEGATIVE_INFINITY;
      let burst: BurstState | null = state.burst;
      const expectedId = burst?.id ?? null;
      let changed = false;
      let raised: Raised[] | undefined;
      let provisional: Provisional | undefined;
      for (let j = 0; j < slot.used; j += 1) {
        // Ascending: events are time-sorted, so minutes are first seen in order.
        const c = slot.minutes[j] as MinuteCount;
        const minute = c.minute;
        let observed: number | undefined;
        if (live) {
          observed = c.total;
        } else {
          if (minute <= foldedThrough) {
            this.stats.lateKeyMinutes += 1;
            continue;
          }
          observed = state.counts.get(minute);
        }
        if (observed === undefined || observed < floor) continue;
        provisional ??= { baseline: state.baseline, before: Number.NEGATIVE_INFINITY };
        const baseline = this.provisional(state, minute, slot.key.dimension, provisional);
        const ev = evaluate(baseline ? decayTo(baseline, minute, this.config) : null, minute, observed, t, this.config);
        if (!ev.anomalous) continue;
        if (slot.key.dimension === 'principal') hotPrincipals.add(`${slot.key.account}|${slot.key.subject}`);
        const decision = onAnomalousMinute(id, burst, minute, observed, this.config, (facts) => burstSeverity(slot.key, ev, facts, t));
        burst = decision.next;
        changed = true;
        if (decision.alert) (raised ??= []).push({ minute, ev, decision });
      }
      if (changed && burst) {
        // The live path stays synchronous from its update to here: nothing can interleave.
        const saved = live ? live.saveBurstNow(id, expectedId, burst) : await this.store.saveBurst(id, expectedId, burst, ttl);
        if (!saved) {
          this.stats.lostBurstRaces += raised?.length ?? 0;
          this.forget(slot);
          continue;
        }
        if (slot.state) slot.state.burst = burst;
        if (raised) for (const r of raised) candidates.push({ slot, ...r });
      }
    }
    if (candidates.length === 0) return [];
    // The breakdowns (top names, IPs, principals) only for the keys that raise a finding.
    if (this.withDetails) collectDetails(this.keys, events, new Set(candidates.map((c) => c.slot)), this.scratch);
    const built = candidates.map((c) => ({ slot: c.slot, finding: burstFinding(c.slot.key, c.minute, this.minuteAggregate(c.slot, c.minute), c.ev, c.decision) }));
    return this.suppressNarrower(built, hotPrincipals);
  }

  /**
   * The per-key-per-batch write (the DynamoDB path): one `KeyWrite` per key ADDs the chunk's counts
   * and, when the cached state is current, folds completed minutes in the same write; then a
   * follow-up fold for keys whose cache was cold or stale. Returns the states after the writes.
   */
  private async writeChunk(touched: KeySlot[], chunk: number, ttl: number): Promise<KeyState[]> {
    const writes: KeyWrite[] = new Array<KeyWrite>(touched.length);
    for (let i = 0; i < touched.length; i += 1) {
      const slot = touched[i] as KeySlot;
      const adds = new Map<number, number>();
      for (let j = 0; j < slot.used; j += 1) {
        const c = slot.minutes[j] as MinuteCount;
        adds.set(c.minute, c.count);
      }
      const write: KeyWrite = { keyId: slot.key.id, adds, ttl };
      const folded = slot.state ? this.foldFrom(slot.state, slot.key.dimension, adds) : undefined;
      if (folded) write.fold = folded;
      writes[i] = write;
    }
    const states = await this.store.apply(writes);
    // A cold cache, or another invocation writing the same key in between, leaves completed minutes
    // unfolded: fold them now from the fresh state (one more conditional write, only for those keys),
    // so concurrent consumers cannot starve the baseline.
    const followUps: KeyWrite[] = [];
    const followUpAt: number[] = [];
    for (let i = 0; i < touched.length; i += 1) {
      const state = states[i];
      const slot = touched[i] as KeySlot;
      const fold = state ? this.foldFrom(state, slot.key.dimension, EMPTY) : undefined;
      if (fold) {
        followUps.push({ keyId: slot.key.id, adds: new Map(), fold, ttl });
        followUpAt.push(i);
      }
    }
    if (followUps.length > 0) {
      const after = await this.store.apply(followUps);
      for (let k = 0; k < after.length; k += 1) states[followUpAt[k] as number] = after[k] as KeyState;
    }
    for (let i = 0; i < touched.length; i += 1) {
      const state = states[i];
      if (state) this.remember(touched[i] as KeySlot, state, chunk);
    }
    return states;
  }

  /**
   * The same write on state held in this process (`RateStore.live`): the chunk's counts are added to
   * the key's live item and its completed minutes folded into its baseline in place, in one
   * synchronous step per key. The result equals `writeChunk`'s with a current cache (the same counts
   * added, the same minutes folded in the same order, one write counted per key), without building
   * the write or copying the state.
   */
  private updateLive(live: LiveRateState, touched: KeySlot[], chunk: number, ttl: number, scored: KeySlot[]): void {
    for (let i = 0; i < touched.length; i += 1) {
      const slot = touched[i] as KeySlot;
      let item = slot.item;
      if (item === undefined || item.expired) item = live.item(slot.key.id);
      const counts = item.counts;
      if (Number.isNaN(item.oldest)) minuteBounds(item);
      for (let j = 0; j < slot.used; j += 1) {
        const c = slot.minutes[j] as MinuteCount;
        const m = c.minute;
        const total = (counts.get(m) ?? 0) + c.count;
        counts.set(m, total);
        c.total = total;
        if (m < item.oldest) item.oldest = m;
        if (m > item.newest) item.newest = m;
      }
      const dimension = slot.key.dimension;
      this.foldLive(item, dimension);
      live.wrote(item, ttl);
      slot.item = item;
      this.remember(slot, item, chunk);
      // What scoring would see: minutes at or before foldedThrough are late (counted, not scored);
      // a key with no minute at or above the floor cannot raise anything and is settled here.
      const foldedThrough = item.baseline?.foldedThrough ?? Number.NEGATIVE_INFINITY;
      const floor = this.floors[dimension];
      let score = false;
      for (let j = 0; j < slot.used; j += 1) {
        const c = slot.minutes[j] as MinuteCount;
        if (c.minute <= foldedThrough) {
          this.stats.lateKeyMinutes += 1;
          c.total = -1;
        } else if (c.total >= floor) {
          score = true;
        }
      }
      if (score) scored.push(slot);
      else for (let j = 0; j < slot.used; j += 1) (slot.minutes[j] as MinuteCount).firstEvent = undefined;
    }
    live.endBatch();
  }

  /** `foldFrom` + applying its fold, on a live item whose counts already include the chunk's. */
  private foldLive(item: LiveItem, dimension: Dimension): void {
    const counts = item.counts;
    if (counts.size === 0) return;
    let baseline: Baseline | null = item.baseline;
    const done = baseline?.foldedThrough ?? Number.NEGATIVE_INFINITY;
    // The oldest and newest minute of the counts, kept by `updateLive` (no scan of the counts).
    const minMinute = item.oldest;
    const watermark = item.newest - this.config.latenessMinutes;
    if (minMinute > watermark && minMinute > done) return;
    const toFold: number[] = [];
    for (const m of counts.keys()) if (m <= watermark || m <= done) toFold.push(m);
    sortMinutes(toFold);
    const t = this.config[dimension];
    if (baseline && item.baselineShared) {
      // `apply` handed this baseline to a caller: fold a copy (`fold`), then own it again.
      let copy: Baseline | null = baseline;
      for (const m of toFold) if (m > done) copy = fold(copy, m, counts.get(m) ?? 0, t, this.config);
      if (copy !== baseline) {
        baseline = copy;
        item.baselineShared = false;
      }
    } else {
      for (const m of toFold) if (m > done) baseline = foldInPlace(baseline, m, counts.get(m) ?? 0, t, this.config);
    }
    if (!baseline) return;
    item.baseline = baseline;
    for (const m of toFold) counts.delete(m);
    minuteBounds(item);
  }

  /** The minute's aggregate with its breakdowns (empty breakdowns when details are off). */
  private minuteAggregate(slot: KeySlot, minute: number): MinuteAggregate {
    const detailed = slot.details?.get(minute);
    if (detailed) return detailed;
    for (let j = 0; j < slot.used; j += 1) {
      const c = slot.minutes[j] as MinuteCount;
      if (c.minute === minute) return bareAggregate(c);
    }
    throw new Error(`rates: no aggregate for minute ${minute} of ${slot.key.id}`);
  }

  /** Fold of completed minutes computed from a known state (applied only if that state is still current). */
  private foldFrom(cached: KeyState, dimension: Dimension, adds: ReadonlyMap<number, number>): KeyWrite['fold'] | undefined {
    const counts = cached.counts;
    if (counts.size === 0 && adds.size === 0) return undefined;
    let baseline: Baseline | null = cached.baseline;
    const done = baseline?.foldedThrough ?? Number.NEGATIVE_INFINITY;
    let maxMinute = Number.NEGATIVE_INFINITY;
    let minMinute = Number.POSITIVE_INFINITY;
    for (const m of counts.keys()) {
      if (m > maxMinute) maxMinute = m;
      if (m < minMinute) minMinute = m;
    }
    for (const m of adds.keys()) {
      if (m > maxMinute) maxMinute = m;
      if (m < minMinute) minMinute = m;
    }
    const watermark = maxMinute - this.config.latenessMinutes;
    // Nothing completed and nothing late beyond the window: no fold (the common case).
    if (minMinute > watermark && minMinute > done) return undefined;
    // Minutes at or before foldedThrough (late beyond the window) are removed without being learned.
    const toFold: number[] = [];
    for (const m of counts.keys()) if (m <= watermark || m <= done) toFold.push(m);
    for (const m of adds.keys()) if ((m <= watermark || m <= done) && !counts.has(m)) toFold.push(m);
    sortMinutes(toFold);
    const t = this.config[dimension];
    for (const m of toFold) {
      if (m <= done) continue;
      baseline = fold(baseline, m, (counts.get(m) ?? 0) + (adds.get(m) ?? 0), t, this.config);
    }
    if (!baseline) return undefined;
    return { expectVersion: cached.version, baseline, removeMinutes: toFold };
  }

  /**
   * The baseline with the not-yet-folded minutes before `minute` folded in memory (not persisted).
   * A slot's minutes are scored in ascending order, so `from` carries the answer for the previous
   * one: only the minutes from there on are folded (the same folds in the same order as from the
   * stored baseline, each minute folded once per chunk instead of once per later scored minute).
   */
  private provisional(state: KeyState, minute: number, dimension: Dimension, from: Provisional): Baseline | null {
    if (minute < from.before) {
      from.baseline = state.baseline;
      from.before = Number.NEGATIVE_INFINITY;
    }
    let b = from.baseline;
    const t = this.config[dimension];
    const after = state.baseline?.foldedThrough ?? Number.NEGATIVE_INFINITY;
    const earlier: number[] = [];
    for (const m of state.counts.keys()) if (m < minute && m >= from.before && m > after) earlier.push(m);
    sortMinutes(earlier);
    for (const m of earlier) b = fold(b, m, state.counts.get(m) ?? 0, t, this.config);
    from.baseline = b;
    from.before = minute;
    return b;
  }

  /** Caches a key's state on its slot; past `cacheSize` cached keys, the least recently used go. */
  private remember(slot: KeySlot, state: KeyState, chunk: number): void {
    if (!slot.state) this.cached += 1;
    slot.state = state;
    slot.lastChunk = chunk;
    if (this.cached > this.cacheSize) this.evictCache();
  }

  private forget(slot: KeySlot): void {
    if (slot.state) this.cached -= 1;
    slot.state = undefined;
    slot.item = undefined;
  }

  /**
   * Bounds memory by keys: drops the least recently used tenth of the cached keys (with their slots,
   * which are re-created on the key's next event; the store keeps the key's state). Only the
   * number of writes can change (an uncached key's completed minutes are folded by a second write),
   * never a finding.
   */
  private evictCache(): void {
    const ages: number[] = [];
    for (const slot of this.keys.slots()) if (slot.state) ages.push(slot.lastChunk);
    ages.sort((a, b) => a - b);
    const cutoff = ages[Math.floor(ages.length / 10)] ?? Number.POSITIVE_INFINITY;
    const current = this.chunkSeq;
    if (this.evictionBlockedIn === current) return;
    this.keys.evict((slot) => slot.chunk !== current && slot.lastChunk <= cutoff);
    this.cached = 0;
    for (const slot of this.keys.slots()) if (slot.state) this.cached += 1;
    // Everything left is in use by this chunk: try again with the next one.
    if (this.cached > this.cacheSize) this.evictionBlockedIn = current;
  }

  /**
   * A stolen key's burst shows up under its principal, its access key and often its API. Keep the
   * principal finding; drop access-key findings of a principal in a burst, and API findings whose
   * calls came mostly (>= 50%) from such a principal.
   */
  private suppressNarrower(candidates: Array<{ slot: KeySlot; finding: Finding }>, alerted: Set<string>): Finding[] {
    const out: Finding[] = [];
    for (const { slot, finding } of candidates) {
      const { dimension, account } = slot.key;
      let drop = false;
      if (dimension === 'accessKey') {
        const firstMinute = slot.used > 0 ? (slot.minutes[0] as MinuteCount) : undefined;
        drop = firstMinute?.firstEvent !== undefined && alerted.has(`${account}|${principalIdentity(firstMinute.firstEvent)}`);
      } else if (dimension === 'api') {
        const principals = new Map<string, number>();
        let total = 0;
        for (let j = 0; j < slot.used; j += 1) {
          const c = slot.minutes[j] as MinuteCount;
          total += c.count;
          const m = slot.details?.get(c.minute);
          if (m) for (const [p, n] of m.principals) principals.set(p, (principals.get(p) ?? 0) + n);
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

/**
 * Sorts minutes ascending in place. A key's minutes are usually already in order (its counts are
 * filled in event-time order), and then nothing is done: `Array.prototype.sort` would copy the
 * list into a work array even so, once per scored minute and fold.
 */
function sortMinutes(minutes: number[]): void {
  for (let i = 1; i < minutes.length; i += 1) {
    if ((minutes[i] as number) < (minutes[i - 1] as number)) {
      minutes.sort((a, b) => a - b);
      return;
    }
  }
}

/** Sets a live item's oldest and newest minute from its counts. */
function minuteBounds(item: LiveItem): void {
  let oldest = Number.POSITIVE_INFINITY;
  let newest = Number.NEGATIVE_INFINITY;
  for (const m of item.counts.keys()) {
    if (m < oldest) oldest = m;
    if (m > newest) newest = m;
  }
  item.oldest = oldest;
  item.newest = newest;
}

/** Convenience for tests: the minute bucket of an ISO time. */
export function minuteOfIso(iso: string): number {
  return minuteOf(Date.parse(iso));
}
