import type { TrailEvent } from '../model/types.ts';
import type { KeyState, LiveItem } from './store.ts';
import { DIMENSION_PREFIX, isTemporaryAccessKey, isUnauthorizedError, MINUTE_MS, principalIdentity, type Dimension, type RateKey } from './keys.ts';

/**
 * Per-chunk aggregation without per-event allocation. Every rate key is interned once in a
 * `KeyTable` (nested maps by account, dimension and subject, so an event's keys are found without
 * building the `p|account|subject` strings); a key's `KeySlot` carries its counts for the chunk
 * being processed and the detector's cached copy of its stored state. The per-minute breakdowns a
 * finding shows (top event names, IPs, regions, principals) are collected only for the few keys
 * that raise or may suppress a finding, by a second pass over the chunk (`collectDetails`), in the
 * same event order as a single pass would see them.
 */

/** What one batch saw for one key in one minute: the count plus the facts a finding needs. */
export interface MinuteAggregate {
  count: number;
  firstMs: number;
  lastMs: number;
  firstEvent: TrailEvent;
  /** eventSource:eventName -> count (capped at `MAX_DISTINCT` distinct values; the rest go to `other`). */
  names: Map<string, number>;
  sourceIps: Map<string, number>;
  regions: Map<string, number>;
  principals: Map<string, number>;
}

/** One key-minute of the current chunk (reused from chunk to chunk: no allocation per event). */
export interface MinuteCount {
  minute: number;
  count: number;
  firstMs: number;
  lastMs: number;
  /** Set while its chunk is processed; cleared after (`releaseChunk`) so idle keys hold no events. */
  firstEvent: TrailEvent | undefined;
  /** Live path: the minute's total in the key's state after this chunk's update (-1: late, not scored). */
  total: number;
}

/** An interned rate key: its identity, the current chunk's minute counts and its cached state. */
export interface KeySlot {
  readonly key: RateKey;
  /** Sequence number of the chunk `minutes[0..used)` belong to. */
  chunk: number;
  /** Minute counts of the chunk, in the order first seen (events are time-sorted: ascending). */
  readonly minutes: MinuteCount[];
  used: number;
  /** The detector's cached copy of the stored state (undefined: not cached). */
  state: KeyState | undefined;
  /** With an in-process store (`RateStore.live`): the key's live item (`state` is then the same object). */
  item: LiveItem | undefined;
  /** Last chunk that touched the key (for cache eviction). */
  lastChunk: number;
  /** Set by `collectDetails` for the chunk: minute -> breakdowns. */
  details: Map<number, MinuteAggregate> | undefined;
  /** True once `KeyTable.evict` dropped the slot (links to it are then stale). */
  evicted: boolean;
  /**
   * On a principal's slot: the long-lived access key it last called with and its errors key, so
   * the usual event finds them without hashing its access key id again (checked, never trusted).
   */
  accessKeyLink: KeySlot | undefined;
  errorsLink: KeySlot | undefined;
}

interface AccountKeys {
  principal: Map<string, KeySlot>;
  accessKey: Map<string, KeySlot>;
  errors: Map<string, KeySlot>;
  /** eventSource -> eventName -> slot (the key's subject is `eventSource:eventName`). */
  api: Map<string, Map<string, KeySlot>>;
}

function newSlot(dimension: Dimension, account: string, subject: string): KeySlot {
  return { key: { dimension, account, subject, id: `${DIMENSION_PREFIX[dimension]}|${account}|${subject}` }, chunk: -1, minutes: [], used: 0, state: undefined, item: undefined, lastChunk: -1, details: undefined, evicted: false, accessKeyLink: undefined, errorsLink: undefined };
}

/** Every rate key the detector has seen, interned (bounded by `evictIdle`). */
export class KeyTable {
  private readonly accounts = new Map<string, AccountKeys>();
  private lastAccount: string | undefined;
  private lastKeys: AccountKeys | undefined;
  private count = 0;

  private keysOf(account: string): AccountKeys {
    if (account === this.lastAccount && this.lastKeys) return this.lastKeys;
    let keys = this.accounts.get(account);
    if (!keys) {
      keys = { principal: new Map(), accessKey: new Map(), errors: new Map(), api: new Map() };
      this.accounts.set(account, keys);
    }
    this.lastAccount = account;
    this.lastKeys = keys;
    return keys;
  }

  /**
   * Writes the slots of every rate key `event` counts towards into `out` (same keys and order as
   * `keysFor`: principal, api, long-lived access key, unauthorized errors) and returns how many.
   */
  slotsOf(event: TrailEvent, out: KeySlot[]): number {
    const account = event.account;
    const keys = this.keysOf(account);
    const principal = principalIdentity(event);
    let n = 0;
    const principalSlot = this.slotIn(keys.principal, 'principal', account, principal);
    out[n++] = principalSlot;
    let byName = keys.api.get(event.source);
    if (!byName) {
      byName = new Map();
      keys.api.set(event.source, byName);
    }
    let api = byName.get(event.name);
    if (!api) {
      api = newSlot('api', account, `${event.source}:${event.name}`);
      byName.set(event.name, api);
      this.count += 1;
    }
    out[n++] = api;
    const accessKey = event.principal.accessKeyId;
    if (accessKey) {
      // A principal nearly always calls with the same key: compare with the one it last used.
      const linked = principalSlot.accessKeyLink;
      if (linked !== undefined && !linked.evicted && linked.key.subject === accessKey) out[n++] = linked;
      else if (!isTemporaryAccessKey(accessKey)) out[n++] = principalSlot.accessKeyLink = this.slotIn(keys.accessKey, 'accessKey', account, accessKey);
    }
    if (isUnauthorizedError(event.errorCode)) {
      // The errors key has the principal's own subject: one per principal slot.
      let errors = principalSlot.errorsLink;
      if (errors === undefined || errors.evicted) errors = principalSlot.errorsLink = this.slotIn(keys.errors, 'errors', account, principal);
      out[n++] = errors;
    }
    return n;
  }

  private slotIn(map: Map<string, KeySlot>, dimension: Dimension, account: string, subject: string): KeySlot {
    let slot = map.get(subject);
    if (slot === undefined) {
      slot = newSlot(dimension, account, subject);
      map.set(subject, slot);
      this.count += 1;
    }
    return slot;
  }

  /** Number of interned keys. */
  get size(): number {
    return this.count;
  }

  /** Every slot (for eviction sweeps). */
  *slots(): IterableIterator<KeySlot> {
    for (const keys of this.accounts.values()) {
      yield* keys.principal.values();
      yield* keys.accessKey.values();
      yield* keys.errors.values();
      for (const m of keys.api.values()) yield* m.values();
    }
  }

  /** Drops every slot `idle` says is idle (its cached state goes with it; the store keeps the key). */
  evict(idle: (slot: KeySlot) => boolean): number {
    let dropped = 0;
    for (const keys of this.accounts.values()) {
      for (const map of [keys.principal, keys.accessKey, keys.errors, ...keys.api.values()]) {
        for (const [subject, slot] of map) {
          if (idle(slot)) {
            map.delete(subject);
            slot.evicted = true;
            dropped += 1;
          }
        }
      }
      for (const [source, m] of keys.api) if (m.size === 0) keys.api.delete(source);
    }
    this.lastAccount = undefined;
    this.lastKeys = undefined;
    this.count -= dropped;
    return dropped;
  }
}

/**
 * Counts one chunk of time-sorted events into their keys' slots and returns the touched slots in
 * the order first touched (the order writes and findings follow).
 */
export function countChunk(table: KeyTable, events: readonly TrailEvent[], chunk: number, scratch: KeySlot[]): KeySlot[] {
  const touched: KeySlot[] = [];
  // Indexed, not for-of: until this loop is optimised, for-of allocates an iterator result per event.
  for (let e = 0; e < events.length; e += 1) {
    const event = events[e] as TrailEvent;
    const minute = Math.floor(event.timeMs / MINUTE_MS);
    const timeMs = event.timeMs;
    const n = table.slotsOf(event, scratch);
    for (let i = 0; i < n; i += 1) {
      const slot = scratch[i] as KeySlot;
      if (slot.chunk !== chunk) {
        slot.chunk = chunk;
        slot.used = 0;
        slot.details = undefined;
        touched.push(slot);
      }
      let m: MinuteCount | undefined;
      // Time-sorted input: the minute is nearly always the newest one.
      for (let j = slot.used - 1; j >= 0; j -= 1) {
        const c = slot.minutes[j] as MinuteCount;
        if (c.minute === minute) {
          m = c;
          break;
        }
      }
      if (m === undefined) {
        m = slot.minutes[slot.used];
        if (m === undefined) {
          m = { minute, count: 0, firstMs: timeMs, lastMs: timeMs, firstEvent: event, total: 0 };
          slot.minutes.push(m);
        } else {
          m.minute = minute;
          m.count = 0;
          m.firstMs = timeMs;
          m.lastMs = timeMs;
          m.firstEvent = event;
        }
        slot.used += 1;
      }
      m.count += 1;
      if (timeMs < m.firstMs || (timeMs === m.firstMs && event.id < (m.firstEvent as TrailEvent).id)) {
        m.firstMs = timeMs;
        m.firstEvent = event;
      }
      if (timeMs > m.lastMs) m.lastMs = timeMs;
    }
  }
  return touched;
}

const MAX_DISTINCT = 64;

function bump(map: Map<string, number>, value: string): void {
  const cur = map.get(value);
  if (cur !== undefined) map.set(value, cur + 1);
  else if (map.size < MAX_DISTINCT) map.set(value, 1);
  else map.set('(other)', (map.get('(other)') ?? 0) + 1);
}

/**
 * Second pass over a chunk for the slots in `wanted` only: fills each one's `details` (minute ->
 * breakdowns) exactly as counting every event into per-minute maps would have, in event order.
 */
export function collectDetails(table: KeyTable, events: readonly TrailEvent[], wanted: ReadonlySet<KeySlot>, scratch: KeySlot[]): void {
  for (const slot of wanted) {
    const details = new Map<number, MinuteAggregate>();
    for (let j = 0; j < slot.used; j += 1) {
      const c = slot.minutes[j] as MinuteCount;
      details.set(c.minute, { count: c.count, firstMs: c.firstMs, lastMs: c.lastMs, firstEvent: c.firstEvent as TrailEvent, names: new Map(), sourceIps: new Map(), regions: new Map(), principals: new Map() });
    }
    slot.details = details;
  }
  for (const event of events) {
    const n = table.slotsOf(event, scratch);
    let minute: number | undefined;
    for (let i = 0; i < n; i += 1) {
      const slot = scratch[i] as KeySlot;
      if (!wanted.has(slot)) continue;
      minute ??= Math.floor(event.timeMs / MINUTE_MS);
      const m = slot.details?.get(minute);
      if (!m) continue;
      bump(m.names, `${event.source}:${event.name}`);
      bump(m.sourceIps, event.sourceIp ?? 'unknown');
      bump(m.regions, event.region);
      if (slot.key.dimension === 'api') bump(m.principals, principalIdentity(event));
    }
  }
}

/** Drops the chunk's references to events and breakdowns (memory stays bounded by keys, not events). */
export function releaseChunk(touched: readonly KeySlot[]): void {
  for (let i = 0; i < touched.length; i += 1) {
    const slot = touched[i] as KeySlot;
    slot.details = undefined;
    for (let j = 0; j < slot.used; j += 1) (slot.minutes[j] as MinuteCount).firstEvent = undefined;
  }
}

/** The breakdown-less aggregate of a minute (when details are off). */
export function bareAggregate(c: MinuteCount): MinuteAggregate {
  return { count: c.count, firstMs: c.firstMs, lastMs: c.lastMs, firstEvent: c.firstEvent as TrailEvent, names: new Map(), sourceIps: new Map(), regions: new Map(), principals: new Map() };
}

/** The `n` most frequent values, largest first (ties by name, so output is deterministic). */
export function top(map: Map<string, number>, n: number): Array<{ value: string; count: number }> {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([value, count]) => ({ value, count }));
}
