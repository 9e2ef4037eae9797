import type { DetectionReferences, Finding, Route, Severity } from './types.ts';
import { ROUTES, isSeverity } from './types.ts';

/**
 * Size and type bounds for every field of a {@link Finding}, enforced in one place before any sink
 * (SNS, findings bus, metrics, JSON Lines). A finding is built from attacker-controlled CloudTrail
 * text, so without bounds one hostile record can make a finding that no sink accepts: a principal
 * ARN of 300 KB (over SNS's 256 KiB), an eventID with a lone surrogate (`encodeURIComponent`
 * throws), a title that is an object ("[object Object]"), or details nested 5,000 levels deep
 * (`JSON.stringify` overflows the stack and takes every other finding of the run down with it).
 *
 * `boundFinding` is total: whatever it is given, it returns a plain-JSON Finding within these
 * bounds, and it notes what it changed in `details.bounded` so nothing is altered silently.
 */
export const FINDING_BOUNDS = {
  /** Identifiers: detection id, event name/source, account, region, principal type. */
  id: 256,
  /** CloudTrail eventIDs are GUIDs; anything longer is not an id. */
  eventId: 256,
  /** IAM ARNs are at most 2048 characters. */
  arn: 2048,
  /** Principal name (user, session, root), access key id, source IP or service name. */
  name: 512,
  title: 1000,
  userAgent: 1000,
  runbook: 4000,
  /** inherentRisk, routeReason: one line each. */
  line: 1000,
  /** References: entries per list and characters per entry. */
  referenceItems: 32,
  reference: 512,
  /** details: nesting levels below `details`, characters per string, entries per array/object, values in all. */
  detailsDepth: 16,
  detailsString: 65_536,
  detailsEntries: 1000,
  detailsNodes: 20_000,
} as const;

/** `String.prototype.isWellFormed` / `toWellFormed` (ES2024, in Node ≥ 20; the project's `lib` is ES2023). */
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Replaces lone UTF-16 surrogates (which `encodeURIComponent` and UTF-8 encoders reject) by U+FFFD.
 * Every string of every finding passes here, twice on the way to a sink: the built-in check scans
 * without allocating and returns the string itself when it is well formed (nearly always); bounding
 * and serialising replay's 1,893 bench findings took 0.75× the CPU of the lookbehind regex it replaced.
 */
export function wellFormed(text: string): string {
  const t = text as WellFormedString;
  return t.isWellFormed() ? text : t.toWellFormed();
}

/**
 * At most `max` characters, well-formed, with "…" when shortened. Never cuts a surrogate pair in
 * half (that would create the lone surrogate this module removes).
 */
export function boundText(text: string, max: number): string {
  const clean = wellFormed(text);
  if (clean.length <= max) return clean;
  let end = Math.max(0, max - 1);
  const last = clean.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${clean.slice(0, end)}…`;
}

/** Collects what bounding changed, for `details.bounded`. */
class Notes {
  readonly items: string[] = [];
  add(note: string): void {
    if (this.items.length < 50) this.items.push(note);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A required string field: non-strings become `fallback` (noted), long strings are shortened (noted). */
function requiredText(value: unknown, max: number, field: string, fallback: string, notes: Notes): string {
  if (typeof value !== 'string') {
    notes.add(`${field}: was ${describe(value)}, not a string`);
    return fallback;
  }
  return optionalText(value, max, field, notes) ?? fallback;
}

/** An optional string field: absent stays absent; non-strings are dropped (noted). */
function optionalText(value: unknown, max: number, field: string, notes: Notes): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    notes.add(`${field}: was ${describe(value)}, not a string; removed`);
    return undefined;
  }
  const bounded = boundText(value, max);
  if (bounded.length < value.length) notes.add(`${field}: shortened from ${value.length} characters`);
  else if (bounded !== value) notes.add(`${field}: lone surrogates replaced`);
  return bounded;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What one {@link boundDetailValue} walk carries: the notes, the values counted so far, the
 * containers being copied (ancestors of the current value: a cycle is one of them again), and the
 * path from `details` to the current value, as segments (an array index or a key). The path is
 * turned into text (`details.a[2]`) only when a note names it, so the walk builds no string per value.
 */
interface DetailWalk {
  notes: { add(note: string): void };
  nodes: number;
  ancestors: object[];
  where: string;
  path: Array<string | number>;
}

/** The current path as notes name it: `where`, then `[i]` per array index and `.key` (first 64 characters) per key. */
function pathText(walk: DetailWalk): string {
  let at = walk.where;
  for (const segment of walk.path) at = typeof segment === 'number' ? `${at}[${segment}]` : `${at}.${segment.slice(0, 64)}`;
  return at;
}

/** One value of {@link boundDetailValue}'s walk (a module function, not a closure per call). */
function copyDetail(v: unknown, depth: number, walk: DetailWalk): unknown {
  walk.nodes++;
  if (walk.nodes > FINDING_BOUNDS.detailsNodes) {
    if (walk.nodes === FINDING_BOUNDS.detailsNodes + 1) walk.notes.add(`${pathText(walk)}: more than ${FINDING_BOUNDS.detailsNodes} values; the rest removed`);
    return undefined;
  }
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') {
    const bounded = boundText(v, FINDING_BOUNDS.detailsString);
    if (bounded.length < v.length) walk.notes.add(`${pathText(walk)}: shortened from ${v.length} characters`);
    return bounded;
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object') return v === undefined ? undefined : `[${typeof v}]`;
  const ancestors = walk.ancestors;
  if (ancestors.includes(v)) {
    walk.notes.add(`${pathText(walk)}: circular reference removed`);
    return '[circular]';
  }
  if (depth >= FINDING_BOUNDS.detailsDepth) {
    walk.notes.add(`${pathText(walk)}: nested deeper than ${FINDING_BOUNDS.detailsDepth} levels; cut`);
    return `[nested deeper than ${FINDING_BOUNDS.detailsDepth} levels]`;
  }
  ancestors.push(v);
  const path = walk.path;
  const at = path.length;
  try {
    if (Array.isArray(v)) {
      if (v.length > FINDING_BOUNDS.detailsEntries) walk.notes.add(`${pathText(walk)}: ${v.length} entries, kept the first ${FINDING_BOUNDS.detailsEntries}`);
      const out: unknown[] = [];
      const n = Math.min(v.length, FINDING_BOUNDS.detailsEntries);
      for (let i = 0; i < n; i++) {
        path[at] = i;
        const c = copyDetail(v[i], depth + 1, walk);
        path.length = at;
        out.push(c === undefined ? null : c);
      }
      return out;
    }
    const toJson = (v as { toJSON?: unknown }).toJSON;
    // The replacement stands where `v` stood (same path and depth), `v` still counted as an ancestor.
    if (typeof toJson === 'function') return copyDetail((toJson as () => unknown).call(v), depth, walk);
    const keys = Object.keys(v);
    if (keys.length > FINDING_BOUNDS.detailsEntries) walk.notes.add(`${pathText(walk)}: ${keys.length} keys, kept the first ${FINDING_BOUNDS.detailsEntries}`);
    const out: Record<string, unknown> = {};
    const n = Math.min(keys.length, FINDING_BOUNDS.detailsEntries);
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      path[at] = key;
      const c = copyDetail((v as Record<string, unknown>)[key], depth + 1, walk);
      path.length = at;
      if (c !== undefined) out[boundText(key, FINDING_BOUNDS.name)] = c;
    }
    return out;
  } finally {
    path.length = at;
    ancestors.pop();
  }
}

/**
 * A copy of `value` that is plain JSON data within the details bounds: depth, string length,
 * entries per container, total values. Recursion is bounded by `detailsDepth`, so it cannot
 * overflow the stack however deep the input is. Non-JSON values (bigint, functions, symbols,
 * non-finite numbers, cycles) become strings or null.
 */
export function boundDetailValue(value: unknown, notes: { add(note: string): void } = new Notes(), where = 'details'): unknown {
  return copyDetail(value, 0, { notes, nodes: 0, ancestors: [], where, path: [] });
}

/** The lists of {@link DetectionReferences}, in the order they are bounded. */
const REFERENCE_KEYS = ['cis', 'securityHub', 'mitre', 'urls'] as const;

function boundReferences(value: unknown, notes: Notes): DetectionReferences | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    notes.add(`references: was ${describe(value)}, not an object; removed`);
    return undefined;
  }
  const out: DetectionReferences = {};
  for (let k = 0; k < REFERENCE_KEYS.length; k++) {
    const key = REFERENCE_KEYS[k] as (typeof REFERENCE_KEYS)[number];
    const list = value[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      notes.add(`references.${key}: not an array; removed`);
      continue;
    }
    // The first `referenceItems` entries that are strings, each bounded.
    const items: string[] = [];
    const n = Math.min(list.length, FINDING_BOUNDS.referenceItems);
    for (let i = 0; i < n; i++) {
      const x: unknown = list[i];
      if (typeof x === 'string') items.push(boundText(x, FINDING_BOUNDS.reference));
    }
    if (items.length < list.length) notes.add(`references.${key}: non-string or surplus entries removed`);
    out[key] = items;
  }
  return out;
}

function boundPrincipal(value: unknown, notes: Notes): Finding['principal'] {
  if (!isRecord(value)) {
    notes.add(`principal: was ${describe(value)}, not an object`);
    return { type: 'Unknown', name: 'unknown' };
  }
  const principal: Finding['principal'] = {
    type: requiredText(value['type'], FINDING_BOUNDS.id, 'principal.type', 'Unknown', notes),
    name: requiredText(value['name'], FINDING_BOUNDS.name, 'principal.name', 'unknown', notes),
  };
  const arn = optionalText(value['arn'], FINDING_BOUNDS.arn, 'principal.arn', notes);
  if (arn !== undefined) principal.arn = arn;
  const key = optionalText(value['accessKeyId'], FINDING_BOUNDS.id, 'principal.accessKeyId', notes);
  if (key !== undefined) principal.accessKeyId = key;
  const issuer = optionalText(value['sessionIssuerArn'], FINDING_BOUNDS.arn, 'principal.sessionIssuerArn', notes);
  if (issuer !== undefined) principal.sessionIssuerArn = issuer;
  if (typeof value['mfa'] === 'boolean') principal.mfa = value['mfa'];
  else if (value['mfa'] !== undefined) notes.add('principal.mfa: not a boolean; removed');
  return principal;
}

/** Field names of a Finding; anything else on the object is dropped (and noted). */
const FINDING_KEYS = new Set([
  'detection', 'severity', 'title', 'eventId', 'eventName', 'eventSource', 'time', 'account', 'region', 'principal',
  'sourceIp', 'userAgent', 'details', 'runbook', 'references', 'inherentRisk', 'route', 'routeReason', 'suppressed',
]);

/** The suppression marker (docs/tuning.md: suppressed is never gone, it is marked): four one-line strings, or removed. */
function boundSuppressed(value: unknown, notes: Notes): Finding['suppressed'] {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    notes.add(`suppressed: was ${describe(value)}, not an object; removed`);
    return undefined;
  }
  return {
    id: suppressedField(value, 'id', notes),
    reason: suppressedField(value, 'reason', notes),
    owner: suppressedField(value, 'owner', notes),
    expires: suppressedField(value, 'expires', notes),
  };
}

/** One field of the suppression marker: a one-line string, or '' (a module function: no closure per finding). */
function suppressedField(value: Record<string, unknown>, key: 'id' | 'reason' | 'owner' | 'expires', notes: Notes): string {
  return optionalText(value[key], FINDING_BOUNDS.line, `suppressed.${key}`, notes) ?? '';
}

/** `new Date(0).toISOString()`: the time of a finding without one. */
const EPOCH_ISO = new Date(0).toISOString();

/** The optional text fields of a Finding and their bounds, in the order they are bounded. */
const OPTIONAL_TEXT = [
  ['sourceIp', FINDING_BOUNDS.name],
  ['userAgent', FINDING_BOUNDS.userAgent],
  ['runbook', FINDING_BOUNDS.runbook],
  ['inherentRisk', FINDING_BOUNDS.line],
  ['routeReason', FINDING_BOUNDS.line],
] as const;

function boundFields(input: Record<string, unknown>, notes: Notes): Finding {
  let severity: Severity = 'medium';
  if (isSeverity(input['severity'])) severity = input['severity'];
  else notes.add(`severity: ${describe(input['severity'])} is not a severity; set to medium`);
  const finding: Finding = {
    detection: requiredText(input['detection'], FINDING_BOUNDS.id, 'detection', 'unknown-detection', notes),
    severity,
    title: '',
    eventId: requiredText(input['eventId'], FINDING_BOUNDS.eventId, 'eventId', 'unknown', notes),
    eventName: requiredText(input['eventName'], FINDING_BOUNDS.id, 'eventName', 'unknown', notes),
    eventSource: requiredText(input['eventSource'], FINDING_BOUNDS.id, 'eventSource', 'unknown', notes),
    time: requiredText(input['time'], 64, 'time', EPOCH_ISO, notes),
    account: requiredText(input['account'], FINDING_BOUNDS.id, 'account', 'unknown', notes),
    region: requiredText(input['region'], FINDING_BOUNDS.id, 'region', 'unknown', notes),
    principal: boundPrincipal(input['principal'], notes),
    details: {},
  };
  finding.title = requiredText(input['title'], FINDING_BOUNDS.title, 'title', `${finding.detection} on ${finding.eventName}`, notes);
  for (let i = 0; i < OPTIONAL_TEXT.length; i++) {
    const [key, max] = OPTIONAL_TEXT[i] as (typeof OPTIONAL_TEXT)[number];
    const text = optionalText(input[key], max, key, notes);
    if (text !== undefined) finding[key] = text;
  }
  const references = boundReferences(input['references'], notes);
  if (references !== undefined) finding.references = references;
  const suppressed = boundSuppressed(input['suppressed'], notes);
  if (suppressed !== undefined) finding.suppressed = suppressed;
  const route = input['route'];
  if ((ROUTES as readonly unknown[]).includes(route)) finding.route = route as Route;
  else if (route !== undefined) notes.add(`route: ${describe(route)} is not a route; removed`);
  const details = input['details'];
  if (isRecord(details)) finding.details = boundDetailValue(details, notes) as Record<string, unknown>;
  else if (details !== undefined) notes.add(`details: was ${describe(details)}, not an object`);
  const keys = Object.keys(input);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (!FINDING_KEYS.has(key)) notes.add(`${key.slice(0, 64)}: not a Finding field; removed`);
  }
  return finding;
}

/**
 * The finding within every size and type bound (see {@link FINDING_BOUNDS}), as a fresh
 * plain-JSON copy; when anything had to change, `details.bounded` lists each change. Never throws: input that cannot even be read (a
 * throwing getter, a revoked proxy) becomes {@link reducedFinding}.
 */
export function boundFinding(value: unknown): Finding {
  const notes = new Notes();
  try {
    if (!isRecord(value)) return reducedFinding(value, `finding was ${describe(value)}, not an object`);
    const finding = boundFields(value, notes);
    if (notes.items.length > 0) finding.details = { ...finding.details, bounded: notes.items };
    return finding;
  } catch (error) {
    return reducedFinding(value, `finding could not be read: ${errorMessage(error)}`);
  }
}

function errorMessage(error: unknown): string {
  try {
    return boundText(error instanceof Error ? error.message : String(error), 300);
  } catch {
    return 'unknown error';
  }
}

/** Reads one property without letting a hostile getter throw. */
function safeGet(value: unknown, key: string): unknown {
  try {
    return isRecord(value) ? value[key] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The stand-in for a finding that cannot be bounded or serialised: its identifying fields (when
 * they are readable strings) and a `details.unserialisable` reason pointing at the CloudTrail
 * event that holds the full record. It keeps the detection's severity, so the alert still goes out
 * at the right level and the reader knows where to look.
 */
export function reducedFinding(original: unknown, reason: string): Finding {
  const text = (key: string, fallback: string, max: number = FINDING_BOUNDS.id): string => {
    const v = safeGet(original, key);
    return typeof v === 'string' && v.length > 0 ? boundText(v, max) : fallback;
  };
  const severity = safeGet(original, 'severity');
  const principal = safeGet(original, 'principal');
  const eventId = text('eventId', 'unknown', FINDING_BOUNDS.eventId);
  return {
    detection: text('detection', 'unknown-detection'),
    severity: isSeverity(severity) ? severity : 'medium',
    title: text('title', 'A finding that could not be serialised', FINDING_BOUNDS.title),
    eventId,
    eventName: text('eventName', 'unknown'),
    eventSource: text('eventSource', 'unknown'),
    time: text('time', new Date(0).toISOString(), 64),
    account: text('account', 'unknown'),
    region: text('region', 'unknown'),
    principal: {
      type: typeof safeGet(principal, 'type') === 'string' ? boundText(safeGet(principal, 'type') as string, FINDING_BOUNDS.id) : 'Unknown',
      name: typeof safeGet(principal, 'name') === 'string' ? boundText(safeGet(principal, 'name') as string, FINDING_BOUNDS.name) : 'unknown',
    },
    details: { unserialisable: reason, fullRecord: `CloudTrail event ${eventId}` },
  };
}

/**
 * The finding as one line of JSON, always: bounded first, and if serialising still fails, the
 * reduced finding saying why. One hostile finding can never stop the others from being written.
 */
export function serializeFinding(finding: unknown): string {
  const bounded = boundFinding(finding);
  try {
    return JSON.stringify(bounded);
  } catch (error) {
    return JSON.stringify(reducedFinding(bounded, `finding could not be serialised: ${errorMessage(error)}`));
  }
}

/** {@link boundFinding} over a list (the step every sink and replay output goes through). */
export function boundFindings(findings: readonly unknown[]): Finding[] {
  return findings.map(boundFinding);
}
