import type { Principal, TrailEvent } from '../model/types.ts';

/**
 * A columnar encoding of compact events (`stateless.ts` `compactEvent`) for the trip from a replay
 * worker thread to the stateful stage. Structured clone of the objects themselves costs more than
 * parsing the records did (~740 bytes and tens of µs per event: every object carries its keys);
 * here each distinct string is sent once per chunk and every event is a row of integers in typed
 * arrays whose buffers are transferred, not copied. Fields it does not know (a field added to
 * TrailEvent later) travel as JSON beside the row, so nothing is lost, only slower.
 */
export interface EncodedEvents {
  count: number;
  strings: string[];
  /** `count × STRING_FIELDS.length` indexes into `strings` (-1: absent). */
  slots: Int32Array;
  times: Float64Array;
  /** `TrailEvent.idHash` per event (-1: absent; the hash is never negative), so the stateful stage does not hash the eventID again. */
  hashes: Int32Array;
  /** `count × FLAG_FIELDS.length`: -1 absent, 0 false, 1 true. */
  flags: Int8Array;
  /** Per event: index into `json` of requestParameters (-1: null), of unknown fields (-1: none). */
  objects: Int32Array;
  json: string[];
}

type Get = (e: TrailEvent) => unknown;
type Set = (e: TrailEvent, v: string) => void;

const p = (e: TrailEvent): Principal => e.principal;
const issuer = (e: TrailEvent): NonNullable<Principal['sessionIssuer']> => (e.principal.sessionIssuer ??= {});
const envelope = (e: TrailEvent): NonNullable<TrailEvent['envelope']> => (e.envelope ??= { detailType: '' });

/** String fields, in row order: [name, read, write]. */
const STRING_FIELDS: Array<[string, Get, Set]> = [
  ['id', (e) => e.id, (e, v) => (e.id = v)],
  ['time', (e) => e.time, (e, v) => (e.time = v)],
  ['name', (e) => e.name, (e, v) => (e.name = v)],
  ['source', (e) => e.source, (e, v) => (e.source = v)],
  ['region', (e) => e.region, (e, v) => (e.region = v)],
  ['account', (e) => e.account, (e, v) => (e.account = v)],
  ['eventType', (e) => e.eventType, (e, v) => (e.eventType = v)],
  ['sourceIp', (e) => e.sourceIp, (e, v) => (e.sourceIp = v)],
  ['userAgent', (e) => e.userAgent, (e, v) => (e.userAgent = v)],
  ['errorCode', (e) => e.errorCode, (e, v) => (e.errorCode = v)],
  ['errorMessage', (e) => e.errorMessage, (e, v) => (e.errorMessage = v)],
  ['principal.type', (e) => p(e).type, (e, v) => (p(e).type = v)],
  ['principal.name', (e) => p(e).name, (e, v) => (p(e).name = v)],
  ['principal.arn', (e) => p(e).arn, (e, v) => (p(e).arn = v)],
  ['principal.principalId', (e) => p(e).principalId, (e, v) => (p(e).principalId = v)],
  ['principal.accountId', (e) => p(e).accountId, (e, v) => (p(e).accountId = v)],
  ['principal.userName', (e) => p(e).userName, (e, v) => (p(e).userName = v)],
  ['principal.accessKeyId', (e) => p(e).accessKeyId, (e, v) => (p(e).accessKeyId = v)],
  ['principal.invokedBy', (e) => p(e).invokedBy, (e, v) => (p(e).invokedBy = v)],
  ['principal.identityProvider', (e) => p(e).identityProvider, (e, v) => (p(e).identityProvider = v)],
  ['issuer.type', (e) => e.principal.sessionIssuer?.type, (e, v) => (issuer(e).type = v)],
  ['issuer.arn', (e) => e.principal.sessionIssuer?.arn, (e, v) => (issuer(e).arn = v)],
  ['issuer.userName', (e) => e.principal.sessionIssuer?.userName, (e, v) => (issuer(e).userName = v)],
  ['issuer.accountId', (e) => e.principal.sessionIssuer?.accountId, (e, v) => (issuer(e).accountId = v)],
  ['envelope.detailType', (e) => e.envelope?.detailType, (e, v) => (envelope(e).detailType = v)],
  ['envelope.id', (e) => e.envelope?.id, (e, v) => (envelope(e).id = v)],
  ['envelope.source', (e) => e.envelope?.source, (e, v) => (envelope(e).source = v)],
  ['envelope.time', (e) => e.envelope?.time, (e, v) => (envelope(e).time = v)],
  ['raw.eventCategory', (e) => e.raw.eventCategory, (e, v) => (e.raw.eventCategory = v)],
];

/** Boolean fields: [name, read, write]. */
const FLAG_FIELDS: Array<[string, Get, (e: TrailEvent, v: boolean) => void]> = [
  ['readOnly', (e) => e.readOnly, (e, v) => (e.readOnly = v)],
  ['mfaUsed', (e) => e.mfaUsed, (e, v) => (e.mfaUsed = v)],
  ['principal.mfaAuthenticated', (e) => p(e).mfaAuthenticated, (e, v) => (p(e).mfaAuthenticated = v)],
  ['principal.sessionCredentialFromConsole', (e) => p(e).sessionCredentialFromConsole, (e, v) => (p(e).sessionCredentialFromConsole = v)],
  ['raw.managementEvent', (e) => e.raw.managementEvent, (e, v) => (e.raw.managementEvent = v)],
];

const KNOWN_EVENT = new Set(['id', 'idHash', 'time', 'timeMs', 'name', 'source', 'region', 'account', 'eventType', 'readOnly', 'principal', 'sourceIp', 'userAgent', 'mfaUsed', 'errorCode', 'errorMessage', 'requestParameters', 'responseElements', 'additionalEventData', 'raw', 'envelope']);
const KNOWN_PRINCIPAL = new Set(['type', 'arn', 'principalId', 'accountId', 'name', 'userName', 'accessKeyId', 'sessionIssuer', 'invokedBy', 'mfaAuthenticated', 'sessionCredentialFromConsole', 'identityProvider']);
const KNOWN_ISSUER = new Set(['type', 'arn', 'userName', 'accountId']);
const KNOWN_ENVELOPE = new Set(['id', 'detailType', 'source', 'time']);
const KNOWN_RAW = new Set(['eventCategory', 'managementEvent']);

const S = STRING_FIELDS.length;
const F = FLAG_FIELDS.length;

/** A value the `hashes` column holds (what `idHash` returns: an integer in 0…2^30-1); any other `idHash` travels with the extras. */
function isCarriedHash(h: unknown): h is number {
  return typeof h === 'number' && h >= 0 && h <= 0x3fffffff && Math.floor(h) === h;
}

/** What `encodeEvents` cannot put in a column, as a JSON object of paths (e.g. `{"principal.x": 1}`), or undefined. */
function extrasOf(e: TrailEvent): Record<string, unknown> | undefined {
  let extras: Record<string, unknown> | undefined;
  const add = (path: string, value: unknown): void => {
    (extras ??= {})[path] = value;
  };
  for (const k of Object.keys(e)) if (!KNOWN_EVENT.has(k)) add(k, (e as unknown as Record<string, unknown>)[k]);
  for (const k of Object.keys(e.principal)) if (!KNOWN_PRINCIPAL.has(k)) add(`principal.${k}`, (e.principal as unknown as Record<string, unknown>)[k]);
  if (e.principal.sessionIssuer) for (const k of Object.keys(e.principal.sessionIssuer)) if (!KNOWN_ISSUER.has(k)) add(`issuer.${k}`, (e.principal.sessionIssuer as Record<string, unknown>)[k]);
  if (e.envelope) for (const k of Object.keys(e.envelope)) if (!KNOWN_ENVELOPE.has(k)) add(`envelope.${k}`, (e.envelope as Record<string, unknown>)[k]);
  for (const k of Object.keys(e.raw)) if (!KNOWN_RAW.has(k)) add(`raw.${k}`, e.raw[k]);
  // A field of a known name but an unexpected type (a string where a boolean belongs…) also travels as is.
  for (const [name, get] of STRING_FIELDS) {
    const v = get(e);
    if (v !== undefined && typeof v !== 'string') add(`typed.${name}`, v);
  }
  for (const [name, get] of FLAG_FIELDS) {
    const v = get(e);
    if (v !== undefined && typeof v !== 'boolean') add(`typed.${name}`, v);
  }
  const h = e.idHash;
  if (h !== undefined && !isCarriedHash(h)) add('typed.idHash', h);
  if (e.responseElements !== null) add('responseElements', e.responseElements);
  if (e.additionalEventData !== null) add('additionalEventData', e.additionalEventData);
  return extras;
}

/**
 * The known keys in the order `normalize` and `compactEvent` create them. An object whose keys come
 * in this order (any of them may be missing) has no unknown key: checked by comparing each key with
 * the list, pointer comparisons of internalised strings, no set lookup per key.
 */
const EVENT_ORDER = ['id', 'idHash', 'time', 'timeMs', 'name', 'source', 'region', 'account', 'eventType', 'principal', 'requestParameters', 'responseElements', 'additionalEventData', 'raw', 'readOnly', 'sourceIp', 'userAgent', 'mfaUsed', 'errorCode', 'errorMessage', 'envelope'];
const PRINCIPAL_ORDER = ['type', 'name', 'arn', 'principalId', 'accountId', 'userName', 'accessKeyId', 'invokedBy', 'sessionIssuer', 'mfaAuthenticated', 'sessionCredentialFromConsole', 'identityProvider'];
const ISSUER_ORDER = ['type', 'arn', 'userName', 'accountId'];
const ENVELOPE_ORDER = ['detailType', 'id', 'source', 'time'];
const RAW_ORDER = ['eventCategory', 'managementEvent'];

/** True when every key of `o` is in `order`, in that order. False says nothing: keys in another order are checked by `hasUnknownKey`. */
function knownInOrder(o: object, order: readonly string[]): boolean {
  let j = 0;
  for (const k in o) {
    while (j < order.length && order[j] !== k) j++;
    if (j === order.length) return false;
    j++;
  }
  return true;
}

/** True when a key of `o` is not in `known` (`for…in`: no key array per object). */
function hasUnknownKey(o: object, known: ReadonlySet<string>, order: readonly string[]): boolean {
  if (knownInOrder(o, order)) return false;
  for (const k in o) if (Object.hasOwn(o, k) && !known.has(k)) return true;
  return false;
}

/**
 * The columns of `events`. The per-field reads are written out (not looped over `STRING_FIELDS`):
 * one call site per field keeps each read monomorphic, which is most of this function's cost.
 * `extrasOf` — the slow, general path — runs only for an event with something the columns cannot
 * hold (an unknown key, a value of an unexpected type, a response or additional data).
 */
export function encodeEvents(events: readonly TrailEvent[]): EncodedEvents {
  const count = events.length;
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const slots = new Int32Array(count * S);
  const times = new Float64Array(count);
  const hashes = new Int32Array(count);
  const flags = new Int8Array(count * F);
  const objects = new Int32Array(count * 2);
  const json: string[] = [];
  let odd = false;
  const str = (v: unknown): number => {
    if (typeof v !== 'string') {
      if (v !== undefined) odd = true;
      return -1;
    }
    let id = ids.get(v);
    if (id === undefined) {
      id = strings.length;
      strings.push(v);
      ids.set(v, id);
    }
    return id;
  };
  const flag = (v: unknown): number => {
    if (v === true) return 1;
    if (v === false) return 0;
    if (v !== undefined) odd = true;
    return -1;
  };
  for (let i = 0; i < count; i++) {
    const e = events[i] as TrailEvent;
    const pr = e.principal;
    const is = pr.sessionIssuer;
    const en = e.envelope;
    const raw = e.raw;
    odd = false;
    const b = i * S;
    // The order of STRING_FIELDS.
    // The eventID is unique per event: a slot of its own, not interned (a Map insert per event for nothing).
    if (typeof e.id === 'string') slots[b] = strings.push(e.id) - 1;
    else slots[b] = str(e.id);
    slots[b + 1] = str(e.time);
    slots[b + 2] = str(e.name);
    slots[b + 3] = str(e.source);
    slots[b + 4] = str(e.region);
    slots[b + 5] = str(e.account);
    slots[b + 6] = str(e.eventType);
    slots[b + 7] = str(e.sourceIp);
    slots[b + 8] = str(e.userAgent);
    slots[b + 9] = str(e.errorCode);
    slots[b + 10] = str(e.errorMessage);
    slots[b + 11] = str(pr.type);
    slots[b + 12] = str(pr.name);
    slots[b + 13] = str(pr.arn);
    slots[b + 14] = str(pr.principalId);
    slots[b + 15] = str(pr.accountId);
    slots[b + 16] = str(pr.userName);
    slots[b + 17] = str(pr.accessKeyId);
    slots[b + 18] = str(pr.invokedBy);
    slots[b + 19] = str(pr.identityProvider);
    slots[b + 20] = str(is?.type);
    slots[b + 21] = str(is?.arn);
    slots[b + 22] = str(is?.userName);
    slots[b + 23] = str(is?.accountId);
    slots[b + 24] = str(en?.detailType);
    slots[b + 25] = str(en?.id);
    slots[b + 26] = str(en?.source);
    slots[b + 27] = str(en?.time);
    slots[b + 28] = str(raw.eventCategory);
    times[i] = e.timeMs;
    const h = e.idHash;
    if (isCarriedHash(h)) hashes[i] = h;
    else {
      hashes[i] = -1;
      if (h !== undefined) odd = true;
    }
    const f = i * F;
    // The order of FLAG_FIELDS.
    flags[f] = flag(e.readOnly);
    flags[f + 1] = flag(e.mfaUsed);
    flags[f + 2] = flag(pr.mfaAuthenticated);
    flags[f + 3] = flag(pr.sessionCredentialFromConsole);
    flags[f + 4] = flag(raw.managementEvent);
    objects[i * 2] = e.requestParameters === null ? -1 : json.push(JSON.stringify(e.requestParameters)) - 1;
    const unusual =
      odd ||
      e.responseElements !== null ||
      e.additionalEventData !== null ||
      hasUnknownKey(e, KNOWN_EVENT, EVENT_ORDER) ||
      hasUnknownKey(pr, KNOWN_PRINCIPAL, PRINCIPAL_ORDER) ||
      (is !== undefined && hasUnknownKey(is, KNOWN_ISSUER, ISSUER_ORDER)) ||
      (en !== undefined && hasUnknownKey(en, KNOWN_ENVELOPE, ENVELOPE_ORDER)) ||
      hasUnknownKey(raw, KNOWN_RAW, RAW_ORDER);
    const extras = unusual ? extrasOf(e) : undefined;
    objects[i * 2 + 1] = extras === undefined ? -1 : json.push(JSON.stringify(extras)) - 1;
  }
  return { count, strings, slots, times, hashes, flags, objects, json };
}

/** The buffers `postMessage` can transfer instead of copying. */
export function transferables(encoded: EncodedEvents): ArrayBuffer[] {
  return [encoded.slots.buffer, encoded.times.buffer, encoded.hashes.buffer, encoded.flags.buffer, encoded.objects.buffer] as ArrayBuffer[];
}

function setPath(e: TrailEvent, path: string, value: unknown): void {
  const dot = path.indexOf('.');
  const head = dot === -1 ? path : path.slice(0, dot);
  const rest = path.slice(dot + 1);
  const target = e as unknown as Record<string, Record<string, unknown>>;
  if (dot === -1) (target as unknown as Record<string, unknown>)[head] = value;
  else if (head === 'principal') (e.principal as unknown as Record<string, unknown>)[rest] = value;
  else if (head === 'issuer') (issuer(e) as Record<string, unknown>)[rest] = value;
  else if (head === 'envelope') (envelope(e) as Record<string, unknown>)[rest] = value;
  else if (head === 'raw') e.raw[rest] = value;
  else if (head === 'typed') {
    // `typed.<field path>`: the value of a known field that had an unexpected type.
    setPath(e, rest, value);
  }
}

/** The events of `encodeEvents`, fields set in the order of `STRING_FIELDS` and `FLAG_FIELDS` (written out, as there). */
export function decodeEvents(encoded: EncodedEvents): TrailEvent[] {
  const { count, strings, slots, times, hashes, flags, objects, json } = encoded;
  const out: TrailEvent[] = new Array<TrailEvent>(count);
  for (let i = 0; i < count; i++) {
    const b = i * S;
    const pr = {} as Principal;
    const e = {
      principal: pr,
      requestParameters: null,
      responseElements: null,
      additionalEventData: null,
      raw: {},
      timeMs: times[i] as number,
      // In the literal (undefined when absent), not added later: one more property added to every
      // decoded event would grow its out-of-object property store once more.
      idHash: (hashes[i] as number) >= 0 ? (hashes[i] as number) : undefined,
    } as unknown as TrailEvent;
    let id: number;
    if ((id = slots[b] as number) >= 0) e.id = strings[id] as string;
    if ((id = slots[b + 1] as number) >= 0) e.time = strings[id] as string;
    if ((id = slots[b + 2] as number) >= 0) e.name = strings[id] as string;
    if ((id = slots[b + 3] as number) >= 0) e.source = strings[id] as string;
    if ((id = slots[b + 4] as number) >= 0) e.region = strings[id] as string;
    if ((id = slots[b + 5] as number) >= 0) e.account = strings[id] as string;
    if ((id = slots[b + 6] as number) >= 0) e.eventType = strings[id] as string;
    if ((id = slots[b + 7] as number) >= 0) e.sourceIp = strings[id] as string;
    if ((id = slots[b + 8] as number) >= 0) e.userAgent = strings[id] as string;
    if ((id = slots[b + 9] as number) >= 0) e.errorCode = strings[id] as string;
    if ((id = slots[b + 10] as number) >= 0) e.errorMessage = strings[id] as string;
    if ((id = slots[b + 11] as number) >= 0) pr.type = strings[id] as string;
    if ((id = slots[b + 12] as number) >= 0) pr.name = strings[id] as string;
    if ((id = slots[b + 13] as number) >= 0) pr.arn = strings[id] as string;
    if ((id = slots[b + 14] as number) >= 0) pr.principalId = strings[id] as string;
    if ((id = slots[b + 15] as number) >= 0) pr.accountId = strings[id] as string;
    if ((id = slots[b + 16] as number) >= 0) pr.userName = strings[id] as string;
    if ((id = slots[b + 17] as number) >= 0) pr.accessKeyId = strings[id] as string;
    if ((id = slots[b + 18] as number) >= 0) pr.invokedBy = strings[id] as string;
    if ((id = slots[b + 19] as number) >= 0) pr.identityProvider = strings[id] as string;
    if ((id = slots[b + 20] as number) >= 0) issuer(e).type = strings[id] as string;
    if ((id = slots[b + 21] as number) >= 0) issuer(e).arn = strings[id] as string;
    if ((id = slots[b + 22] as number) >= 0) issuer(e).userName = strings[id] as string;
    if ((id = slots[b + 23] as number) >= 0) issuer(e).accountId = strings[id] as string;
    if ((id = slots[b + 24] as number) >= 0) envelope(e).detailType = strings[id] as string;
    if ((id = slots[b + 25] as number) >= 0) envelope(e).id = strings[id] as string;
    if ((id = slots[b + 26] as number) >= 0) envelope(e).source = strings[id] as string;
    if ((id = slots[b + 27] as number) >= 0) envelope(e).time = strings[id] as string;
    if ((id = slots[b + 28] as number) >= 0) e.raw.eventCategory = strings[id] as string;
    const f = i * F;
    let v: number;
    if ((v = flags[f] as number) >= 0) e.readOnly = v === 1;
    if ((v = flags[f + 1] as number) >= 0) e.mfaUsed = v === 1;
    if ((v = flags[f + 2] as number) >= 0) pr.mfaAuthenticated = v === 1;
    if ((v = flags[f + 3] as number) >= 0) pr.sessionCredentialFromConsole = v === 1;
    if ((v = flags[f + 4] as number) >= 0) e.raw.managementEvent = v === 1;
    const rp = objects[i * 2] as number;
    if (rp >= 0) e.requestParameters = JSON.parse(json[rp] as string) as Record<string, unknown>;
    const ex = objects[i * 2 + 1] as number;
    if (ex >= 0) for (const [path, value] of Object.entries(JSON.parse(json[ex] as string) as Record<string, unknown>)) setPath(e, path, value);
    out[i] = e;
  }
  return out;
}
