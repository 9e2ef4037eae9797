import { EXTERNAL_FINDING_DETAIL_TYPES, normalizeExternalFinding } from './external-findings.ts';
import type { CloudTrailRecord, NormalizeResult, Principal, TrailEvent } from './types.ts';
import { idHash } from './id-hash.ts';
import { boundedMap, remember } from '../memo.ts';

/** EventBridge detail-types that carry a CloudTrail record in `detail`. */
export const CLOUDTRAIL_DETAIL_TYPES = [
  'AWS API Call via CloudTrail',
  'AWS Console Sign In via CloudTrail',
  'AWS Service Event via CloudTrail',
  'AWS Insight via CloudTrail',
] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

const MAX_INTERNED = 65_536;

/**
 * One copy of each repeated string the event keeps (source, name, region, account, principal,
 * user agent, address…): `JSON.parse` makes a new copy per record, and the events outlive the
 * parse (the reorder window, dedup), so without this the copies of the same few hundred strings
 * are what the garbage collector moves to the old generation, and every later map lookup hashes
 * its own copy again. A `Map` holds the copies (bounded: emptied when full); in front of it a
 * direct-mapped table indexed by the length and three characters answers most look-ups with one
 * string comparison, without hashing the whole string (the `Map` alone cost 0.8 µs per event).
 */
const INTERNED = boundedMap<string, string>(MAX_INTERNED);
const SLOTS = 4096;
const slots: Array<string | undefined> = new Array<string | undefined>(SLOTS).fill(undefined);

function intern(value: string): string {
  const n = value.length;
  const slot = (n * 31 + value.charCodeAt(n - 1) * 1021 + value.charCodeAt(n >> 1) * 127 + value.charCodeAt((n * 3) >> 2)) & (SLOTS - 1);
  const recent = slots[slot];
  if (recent === value) return recent;
  let known = INTERNED.get(value);
  if (known === undefined) {
    remember(INTERNED, value, value);
    known = value;
  }
  slots[slot] = known;
  return known;
}

/** `str` then `intern`. */
function istr(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? intern(value) : undefined;
}

/** CloudTrail writes booleans as real booleans or as the strings "true"/"false" (any case). */
export function looseBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === 'yes') return true;
    if (v === 'false' || v === 'no') return false;
  }
  return undefined;
}

function objOrNull(value: unknown): Record<string, unknown> | null {
  return isObject(value) ? value : null;
}

/** `arn:aws:sts::123:assumed-role/Role/session` -> `session`; `arn:aws:iam::123:user/a/b` -> `b`. */
function lastArnSegment(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  // The resource is what follows the fifth ':'; its last '/'-separated part (no split: this runs per event).
  let colon = -1;
  for (let n = 0; n < 5; n++) {
    colon = arn.indexOf(':', colon + 1);
    if (colon === -1) return undefined;
  }
  const slash = arn.lastIndexOf('/');
  const segment = slash > colon ? arn.slice(slash + 1) : arn.slice(colon + 1);
  return segment || undefined;
}

/** `lastArnSegment` per distinct ARN (the ARN is interned, so its hash is computed once): a session's every event has the same. */
const ARN_NAMES = boundedMap<string, string | undefined>(MAX_INTERNED);

function nameInArn(arn: string | undefined): string | undefined {
  if (arn === undefined) return undefined;
  let name = ARN_NAMES.get(arn);
  if (name === undefined && !ARN_NAMES.has(arn)) {
    name = lastArnSegment(arn);
    if (name !== undefined) name = intern(name);
    remember(ARN_NAMES, arn, name);
  }
  return name;
}

export function principalFrom(userIdentity: Record<string, unknown>): Principal {
  const type = istr(userIdentity['type']) ?? 'Unknown';
  const arn = istr(userIdentity['arn']);
  const sessionContext = objOrNull(userIdentity['sessionContext']);
  const attributes = objOrNull(sessionContext?.['attributes']);
  const issuerRaw = objOrNull(sessionContext?.['sessionIssuer']);
  const webId = objOrNull(sessionContext?.['webIdFederationData']);
  const userName = istr(userIdentity['userName']);
  const accountId = istr(userIdentity['accountId']);
  const principalId = istr(userIdentity['principalId']);
  const invokedBy = istr(userIdentity['invokedBy']);

  let name: string;
  if (type === 'Root') name = 'root';
  else if (type === 'AWSService') name = invokedBy ?? 'aws-service';
  else name = userName ?? nameInArn(arn) ?? principalId ?? 'unknown';
  if (type === 'IdentityCenterUser' || type === 'SAMLUser' || type === 'WebIdentityUser') {
    name = userName ?? principalId ?? name;
  }

  const accessKeyId = istr(userIdentity['accessKeyId']);
  const it = issuerRaw ? istr(issuerRaw['type']) : undefined;
  const ia = issuerRaw ? istr(issuerRaw['arn']) : undefined;
  let sessionIssuer: Principal['sessionIssuer'];
  if (issuerRaw && (ia || it)) {
    const issuer: NonNullable<Principal['sessionIssuer']> = {};
    const iu = istr(issuerRaw['userName']);
    const ic = istr(issuerRaw['accountId']);
    if (it) issuer.type = it;
    if (ia) issuer.arn = ia;
    if (iu) issuer.userName = iu;
    if (ic) issuer.accountId = ic;
    sessionIssuer = issuer;
  }
  const mfaAuthenticated = looseBool(attributes?.['mfaAuthenticated']);
  const sessionCredentialFromConsole = looseBool(userIdentity['sessionCredentialFromConsole']);
  const identityProvider = istr(webId?.['federatedProvider']) ?? istr(userIdentity['identityProvider']);
  // Every field in one literal (undefined when absent), in the order the event codec expects: one
  // shape, no out-of-object property store grown field by field (as for the event).
  const principal: Principal = {
    type,
    name,
    arn,
    principalId,
    accountId,
    userName,
    accessKeyId,
    invokedBy,
    sessionIssuer,
    mfaAuthenticated,
    sessionCredentialFromConsole,
    identityProvider,
  };
  return principal;
}

/**
 * CloudTrail times are ISO-8601 UTC (`2023-07-10T11:42:05Z`). Exports that went through a data
 * lake (Panther, Athena) write `2023-07-10 11:42:05.000000000` without a zone, meaning UTC: both
 * are accepted. Date.parse alone is not used as the check — it accepts "1" or "May 5".
 */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/** CloudTrail's own layout (`2023-07-10T11:42:05Z`): Date.parse reads it as is. */
const CLOUDTRAIL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (CLOUDTRAIL_TIME.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const m = ISO_TIME.exec(value.trim());
  if (!m) return undefined;
  const fraction = m[3] ? `.${m[3].slice(0, 3).padEnd(3, '0')}` : '';
  const ms = Date.parse(`${m[1]}T${m[2]}${fraction}${(m[4] ?? 'Z').toUpperCase()}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The ISO time of an epoch-ms event time. For CloudTrail's own layout it is the text plus `.000`
 * when no calendar rollover can have happened (day ≤ 28, hour < 24: Date.parse rolls
 * `02-31` over to March), which saves a Date per event; otherwise `toISOString`.
 */
function isoTime(raw: unknown, ms: number): string {
  if (typeof raw === 'string' && raw.length === 20 && CLOUDTRAIL_TIME.test(raw) && raw.charCodeAt(8) <= 0x32 && !(raw.charCodeAt(8) === 0x32 && raw.charCodeAt(9) > 0x38) && raw.slice(11, 13) < '24') {
    return `${raw.slice(0, 19)}.000Z`;
  }
  return new Date(ms).toISOString();
}

/**
 * The last `eventTime` text read and what it gave: a log file's records come in time order, many
 * to the second (three in four in the bench corpus, one in three in Invictus), so the next record
 * often has the same text and its time is not parsed again. The ISO string is then shared by the
 * events of that second. Only a valid time is kept.
 */
const lastTime: { text: string | undefined; ms: number; iso: string } = { text: undefined, ms: 0, iso: '' };

/** Epoch ms and ISO text of an `eventTime` (set in `lastTime`), or false when it is not a time. */
function readTime(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  if (value === lastTime.text) return true;
  const ms = parseTime(value);
  if (ms === undefined) return false;
  lastTime.iso = isoTime(value, ms);
  lastTime.ms = ms;
  lastTime.text = value;
  return true;
}

/** A skip, with the record's eventID when it has one (a module function: no closure per normalised record). */
function failed(eventId: string | undefined, reason: string): NormalizeResult {
  return { ok: false, skip: eventId ? { reason, eventId } : { reason } };
}

/**
 * Turns a bare CloudTrail record into a TrailEvent, or says why it cannot.
 * Accepts anonymised shapes (fake regions, fake account ids): only structure is checked.
 */
export function normalizeRecord(
  record: unknown,
  envelope?: TrailEvent['envelope'],
  envelopeAccount?: string,
): NormalizeResult {
  if (!isObject(record)) return { ok: false, skip: { reason: 'record is not a JSON object' } };
  const r = record as CloudTrailRecord;
  const eventId = str(r.eventID);
  if (!eventId) return failed(eventId, 'missing eventID');
  // Insights records carry the API they are about in insightDetails, not at the top level.
  const insight = r.eventType === 'AwsCloudTrailInsight' ? objOrNull(r['insightDetails']) : null;
  const name = istr(r.eventName) ?? istr(insight?.['eventName']);
  if (!name) return failed(eventId, 'missing eventName');
  const source = istr(r.eventSource) ?? istr(insight?.['eventSource']);
  if (!source) return failed(eventId, 'missing eventSource');
  // The reason stays constant (no value in it) so the skip table and metrics group these together.
  if (!readTime(r.eventTime)) return failed(eventId, r.eventTime === undefined ? 'missing eventTime' : 'eventTime is not an ISO-8601 time');
  const timeMs = lastTime.ms;
  const time = lastTime.iso;
  const eventType = istr(r.eventType) ?? 'AwsApiCall';
  const userIdentity = r.userIdentity;
  if (!isObject(userIdentity)) {
    // AwsServiceEvent and Insights records legitimately carry a service identity or none at all;
    // for an API call or a sign-in the caller is the whole point, so the record is unusable.
    if (eventType === 'AwsApiCall' || eventType === 'AwsConsoleSignIn') return failed(eventId, 'missing userIdentity');
  }
  const principal = isObject(userIdentity) ? principalFrom(userIdentity) : { type: 'Unknown', name: 'unknown' };
  const account = istr(r.recipientAccountId) ?? principal.accountId ?? envelopeAccount ?? 'unknown';
  const region = istr(r.awsRegion) ?? 'unknown';

  const additionalEventData = objOrNull(r.additionalEventData);
  let mfaUsed: boolean | undefined;
  if (name === 'ConsoleLogin' && additionalEventData && 'MFAUsed' in additionalEventData) {
    mfaUsed = looseBool(additionalEventData['MFAUsed']);
  } else if (principal.mfaAuthenticated !== undefined) {
    mfaUsed = principal.mfaAuthenticated;
  }

  // Every field in one literal (the optional ones undefined when absent): one object of one shape,
  // no out-of-object property store grown field by field.
  const ip = istr(r.sourceIPAddress);
  const ua = istr(r.userAgent);
  const errorCode = istr(r.errorCode);
  const event: TrailEvent = {
    id: eventId,
    idHash: idHash(eventId),
    time,
    timeMs,
    name,
    source,
    region,
    account,
    eventType,
    principal,
    requestParameters: objOrNull(r.requestParameters),
    responseElements: objOrNull(r.responseElements),
    additionalEventData,
    raw: r,
    readOnly: looseBool(r.readOnly),
    sourceIp: ip,
    userAgent: ua,
    mfaUsed,
    errorCode,
    errorMessage: str(r.errorMessage),
    envelope,
  };
  return { ok: true, event };
}

/**
 * Normalises anything Trailwatch may be handed: an EventBridge envelope whose detail-type carries a
 * CloudTrail record, or a bare CloudTrail record. Never throws.
 */
export function normalize(input: unknown): NormalizeResult {
  try {
    if (!isObject(input)) return { ok: false, skip: { reason: `input is ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}, not an event object` } };
    if ('detail-type' in input || ('detail' in input && 'source' in input && !('eventID' in input))) {
      const detailType = str(input['detail-type']);
      if (!detailType) return { ok: false, skip: { reason: 'EventBridge event without detail-type' } };
      if (EXTERNAL_FINDING_DETAIL_TYPES[detailType]) return normalizeExternalFinding(input, detailType);
      if (!(CLOUDTRAIL_DETAIL_TYPES as readonly string[]).includes(detailType)) {
        return { ok: false, skip: { reason: `unsupported detail-type "${detailType.slice(0, 80)}"` } };
      }
      const envelope: NonNullable<TrailEvent['envelope']> = { detailType };
      const id = str(input['id']);
      if (id) envelope.id = id;
      const source = str(input['source']);
      if (source) envelope.source = source;
      const time = str(input['time']);
      if (time) envelope.time = time;
      if (!isObject(input['detail'])) return { ok: false, skip: { reason: `${detailType} event without a detail object` } };
      return normalizeRecord(input['detail'], envelope, str(input['account']));
    }
    return normalizeRecord(input);
  } catch (error) {
    // Defensive: normalisation is written not to throw, but a getter on exotic input could.
    return { ok: false, skip: { reason: `normalisation failed: ${(error as Error).message}` } };
  }
}
