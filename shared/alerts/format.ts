import type { Finding, Severity } from '../model/types.ts';
import { truncate } from './escape.ts';

/**
 * Channel-neutral facts every alert renderer (Slack, email, Chatbot) needs, derived once from a
 * Finding. Findings travel through SNS and may come from older or newer producers, so every reader
 * here is defensive: odd or missing fields degrade to "unknown", never to a crash.
 */

/** Word + colour + emoji per severity. Colours follow the usual red → grey ramp of incident tools. */
export const SEVERITY_STYLE: Record<Severity, { word: string; color: string; emoji: string }> = {
  critical: { word: 'CRITICAL', color: '#B00020', emoji: ':red_circle:' },
  high: { word: 'HIGH', color: '#E8590C', emoji: ':large_orange_circle:' },
  medium: { word: 'MEDIUM', color: '#F2C744', emoji: ':large_yellow_circle:' },
  low: { word: 'LOW', color: '#3B82F6', emoji: ':large_blue_circle:' },
  info: { word: 'INFO', color: '#9CA3AF', emoji: ':white_circle:' },
};

export { truncate } from './escape.ts';
export { cloudTrailEventUrl } from './links.ts';

/** "alice (IAMUser)" style label; the ARN when there is one, since names repeat across accounts. */
export function principalLabel(finding: Finding): string {
  const p = finding.principal ?? { type: 'Unknown', name: 'unknown' };
  return p.arn || p.name || 'unknown principal';
}

/** Short principal name for subjects and digest keys. */
export function principalShortName(finding: Finding): string {
  return finding.principal?.name || finding.principal?.arn || 'unknown';
}

/** MFA as a word a human can act on. */
export function mfaWord(finding: Finding): string {
  const mfa = finding.principal?.mfa;
  if (mfa === true) return 'yes';
  if (mfa === false) return 'NO';
  return 'not reported';
}

/** One risky grant found by the policy engine, normalised from whatever shape it arrived in. */
export interface AnalysisItem {
  id: string;
  severity?: Severity;
  message: string;
  /** The offending statement(s), as compact JSON text. */
  statements: string[];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function firstString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = record[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return undefined;
}

function statementText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * The policy engine's risky grants from `finding.details.analysis`, whatever its exact shape: an
 * array of items, or an object holding one under `findings`/`risks`/`items`/`issues`. Each item's
 * id (`id`/`code`/`check`/`rule`), severity, message (`message`/`sentence`/`title`/`description`/
 * `summary`) and statement(s) (`statement`/`statements`/`sid`) are picked up; unusable items are skipped.
 */
export function analysisItems(details: unknown): AnalysisItem[] {
  const analysis = asRecord(details)?.['analysis'];
  let list: unknown[] | undefined;
  if (Array.isArray(analysis)) list = analysis;
  else {
    const rec = asRecord(analysis);
    for (const key of ['findings', 'risks', 'items', 'issues', 'grants']) {
      if (rec && Array.isArray(rec[key])) {
        list = rec[key] as unknown[];
        break;
      }
    }
  }
  if (!list) return [];
  const document = policyDocument(details);
  const items: AnalysisItem[] = [];
  for (const raw of list) {
    const rec = asRecord(raw);
    if (!rec) {
      if (typeof raw === 'string' && raw.trim()) items.push({ id: 'finding', message: raw.trim(), statements: [] });
      continue;
    }
    const message = firstString(rec, ['message', 'sentence', 'title', 'description', 'summary', 'reason']);
    const id = firstString(rec, ['id', 'code', 'check', 'rule', 'kind', 'type']) ?? 'finding';
    if (!message && id === 'finding') continue;
    const sev = rec['severity'];
    const statements: string[] = [];
    const rawStatements = rec['statements'] ?? rec['statement'];
    for (const s of Array.isArray(rawStatements) ? rawStatements : [rawStatements]) {
      const text = statementRefText(s, document);
      if (text) statements.push(text);
    }
    if (statements.length === 0 && typeof rec['sid'] === 'string') statements.push(`Sid ${rec['sid']}`);
    const item: AnalysisItem = { id, message: message ?? id, statements };
    if (typeof sev === 'string' && (['info', 'low', 'medium', 'high', 'critical'] as const).includes(sev as Severity)) {
      item.severity = sev as Severity;
    }
    items.push(item);
  }
  return items;
}

/** The new policy document a policy-change finding carries (`details.change.document` or `details.policyDocument`). */
export function policyDocument(details: unknown): unknown {
  const rec = asRecord(details);
  const change = asRecord(rec?.['change']);
  return change?.['document'] ?? rec?.['policyDocument'] ?? rec?.['document'];
}

/**
 * A statement reference from the policy engine as text: the statement itself when the reference is
 * an index into the document (`{ index, sid }`), else the statement as given.
 */
function statementRefText(ref: unknown, document: unknown): string | undefined {
  const r = asRecord(ref);
  if (r && typeof r['index'] === 'number' && !('Effect' in r)) {
    const index = r['index'];
    const sid = typeof r['sid'] === 'string' ? ` (Sid ${r['sid']})` : '';
    const list = asRecord(document)?.['Statement'];
    const statement = Array.isArray(list) ? list[index] : index === 0 ? list : undefined;
    const text = statement !== undefined ? statementText(statement) : undefined;
    return text ? `statement #${index}${sid}: ${text}` : `statement #${index}${sid}`;
  }
  return statementText(ref);
}

/** One line saying which policy changed where, from `details.change` (the policy-changed detection). */
export function policyChangeLine(details: unknown): string | undefined {
  const change = asRecord(asRecord(details)?.['change']);
  if (!change) return undefined;
  const target = asRecord(change['target']);
  const parts: string[] = [];
  if (typeof change['action'] === 'string') parts.push(change['action']);
  if (target) {
    const name = typeof target['name'] === 'string' ? target['name'] : typeof target['arn'] === 'string' ? target['arn'] : undefined;
    parts.push(`on ${String(target['type'] ?? 'resource')}${name ? ` ${name}` : ''}`);
  }
  const policy = change['policyName'] ?? change['policyArn'];
  if (typeof policy === 'string') parts.push(`policy ${policy}`);
  if (typeof change['documentError'] === 'string') parts.push(`(document unreadable: ${change['documentError']})`);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** The new policy document as compact JSON, cut to `max` characters; undefined when there is none. */
export function policyDocumentText(details: unknown, max: number): string | undefined {
  const doc = policyDocument(details);
  if (doc === undefined || doc === null) return undefined;
  const text = statementText(doc);
  return text ? truncate(text, max) : undefined;
}

/** Detail keys that are shown elsewhere or are too bulky to print as a fact line. */
const DETAIL_KEYS_HIDDEN = new Set(['analysis', 'policyDocument', 'policy', 'document', 'raw', 'change']);
/** Rate-detector internals: the burst view shows what matters from them (see burst.ts). */
const RATE_KEYS_HIDDEN = new Set(['burstId', 'key', 'baseline', 'burst', 'reason', 'score', 'topEventNames', 'topSourceIps', 'topPrincipals', 'firstEventId', 'sampledFromThisBatch', 'windowStart', 'windowMinutes', 'dimension', 'firstEventTime', 'lastEventTime', 'observed']);

/**
 * The detection's other facts (`details` minus the analysis and raw documents) as short
 * "key: value" lines, so every detection gets an explanation without the renderer knowing it.
 */
export function detailFacts(details: unknown, maxLines = 8, maxValue = 200): string[] {
  const rec = asRecord(details);
  if (!rec) return [];
  const rateDetails = typeof rec['burstId'] === 'string';
  const lines: string[] = [];
  for (const [key, value] of Object.entries(rec)) {
    if (DETAIL_KEYS_HIDDEN.has(key) || (rateDetails && RATE_KEYS_HIDDEN.has(key)) || value === undefined || value === null) continue;
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) text = value.join(', ');
    else {
      const json = statementText(value);
      if (!json) continue;
      text = json;
    }
    lines.push(`${key}: ${truncate(text, maxValue)}`);
    if (lines.length >= maxLines) break;
  }
  return lines;
}

/** A group of findings of one detection by one principal, sent as one message (see docs/alerts.md). */
export interface AlertDigest {
  detection: string;
  /** Principal label the group is keyed on (ARN or name). */
  principal: string;
  /** Highest severity in the group. */
  severity: Severity;
  /** How many distinct findings (CloudTrail events) the group holds. */
  count: number;
  /** The first few findings, oldest first. */
  samples: Finding[];
  /** Event-time range of the whole group (ISO-8601). */
  firstTime: string;
  lastTime: string;
  /**
   * Set for the once-a-day summary (findings routed `summary`): the UTC day and the count per
   * detection. `detection` is then `daily-summary` and `principal` `all principals`.
   */
  summary?: { day: string; byDetection: Record<string, number> };
  /**
   * Set for an incident's follow-ups (docs/alerts.md, "No page storms: incidents"): findings that
   * would have paged but belong to an incident already paged at `pagedAt` (ISO-8601) with `severity`.
   */
  incident?: { pagedAt: string; severity: Severity };
}

/** Why a page of an already known incident key was sent anyway (the message says it). */
export interface IncidentPageNote {
  /** `escalated`: severity above everything paged for the incident; `reopened`: the previous incident had gone quiet. */
  reason: 'escalated' | 'reopened';
  /** The incident's page it follows: its severity and time (ISO-8601). */
  previousSeverity: Severity;
  previousPagedAt: string;
}

/** What a channel delivers: one finding (with a note when it re-pages a known incident), or a digest of many. */
export type Alert = { kind: 'finding'; finding: Finding; incident?: IncidentPageNote } | { kind: 'digest'; digest: AlertDigest };

/** One sentence saying why this page was sent although its incident was paged before; only our own words and times. */
export function incidentNoteText(note: IncidentPageNote): string {
  const was = `${SEVERITY_STYLE[note.previousSeverity].word} page at ${Number.isNaN(Date.parse(note.previousPagedAt)) ? 'an earlier time' : humanTime(note.previousPagedAt)}`;
  return note.reason === 'escalated'
    ? `Paged again: the severity rose above this incident's ${was}; its other findings arrive as follow-up digests.`
    : `New incident: the previous one of this detection and principal (${was}) had been quiet for longer than the incident window.`;
}

/**
 * One sentence for a digest: count, detection, who, when. `esc` is applied to every value that does
 * not come from us (the principal, ids, a time that does not parse), so a channel can escape those
 * and leave our own formatted times alone (Slack's emoji escaping would otherwise touch `09:00:00`).
 */
export function digestSentence(digest: AlertDigest, esc: (value: string) => string = (v) => v): string {
  const time = (t: string): string => (Number.isNaN(Date.parse(t)) ? esc(t) : humanTime(t));
  if (digest.summary) {
    const parts = Object.entries(digest.summary.byDetection)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([d, n]) => `${esc(d)} ${n}`);
    return `Daily summary for ${esc(digest.summary.day)}: ${digest.count} finding(s) routed to the summary${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
  }
  const span = digest.firstTime === digest.lastTime ? `at ${time(digest.firstTime)}` : `between ${time(digest.firstTime)} and ${time(digest.lastTime)}`;
  if (digest.incident) {
    return `${digest.count} more ${esc(digest.detection)} findings by ${esc(digest.principal)} ${span}, follow-ups of the incident paged at ${time(digest.incident.pagedAt)} (${SEVERITY_STYLE[digest.incident.severity].word}): not paged again; a higher severity would page`;
  }
  return `${digest.count} ${esc(digest.detection)} findings by ${esc(digest.principal)} ${span}`;
}

/** Minimal runtime check that an object parsed from SNS is a Finding we can render. */
export function isFinding(value: unknown): value is Finding {
  const rec = asRecord(value);
  if (!rec) return false;
  const principal = asRecord(rec['principal']);
  return (
    typeof rec['detection'] === 'string' &&
    rec['detection'] !== '' &&
    typeof rec['severity'] === 'string' &&
    Object.hasOwn(SEVERITY_STYLE, rec['severity']) &&
    typeof rec['title'] === 'string' &&
    typeof rec['eventId'] === 'string' &&
    rec['eventId'] !== '' &&
    typeof rec['time'] === 'string' &&
    typeof rec['account'] === 'string' &&
    typeof rec['region'] === 'string' &&
    principal !== undefined &&
    typeof principal['type'] === 'string' &&
    typeof principal['name'] === 'string'
  );
}

/** `2026-11-20 07:12:09 UTC` from an ISO time; the input unchanged when it does not parse. */
export function humanTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A statement shown in full the first time, then only by its reference ("statement #0 (Sid X)"),
 * so several risks pointing at one statement do not repeat it.
 */
export function onceOnly(statement: string, shown: Set<string>): string {
  const ref = /^(statement #\d+(?: \(Sid [^)]*\))?): /.exec(statement)?.[1];
  if (!ref) return statement;
  if (shown.has(ref)) return `${ref} (above)`;
  shown.add(ref);
  return statement;
}
