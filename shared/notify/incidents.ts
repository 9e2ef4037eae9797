import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { principalLabel } from '../alerts/format.ts';
import { isSeverity, severityRank, type Finding, type Severity } from '../model/types.ts';

/**
 * "One incident, one page" (docs/alerts.md, "No page storms: incidents"). Findings that would page
 * are grouped into incidents keyed by detection, account and principal (the label digests use: ARN,
 * else name). The first page-worthy finding of a key pages and opens the incident; further ones
 * within `windowMs` of the incident's LAST page-worthy finding are follow-ups (grouped into
 * follow-up digests by the caller), unless their severity is higher than anything paged for the
 * incident so far, which pages again. A key quiet for longer than the window starts a new incident.
 *
 * The decision is the pure `decideIncident`; the stores only keep the state per key. The memory
 * store (replay, tests, the noise bench) and the DynamoDB store (Lambda) run the same function, so
 * they give the same answer for the same sequence of findings.
 */

/** Default incident window: one hour after the incident's last page-worthy finding. */
export const DEFAULT_INCIDENT_WINDOW_MS = 3_600_000;
/** Bounds of `incidentWindowSeconds` (5 min .. 24 h). */
export const INCIDENT_WINDOW_MIN_S = 300;
export const INCIDENT_WINDOW_MAX_S = 86_400;

/** What is kept per incident key. Times are epoch ms of the findings' event times. */
export interface IncidentState {
  /** When the incident was last paged (the opening page, or the latest severity rise). */
  pagedAt: number;
  /** Highest severity paged for this incident so far. */
  severity: Severity;
  /** Event time of the incident's latest page-worthy finding (paged or followed up): the window runs from here. */
  lastAt: number;
  /** Idempotency key (detection#eventID) of the finding that was paged last, so a retried delivery of it pages again. */
  pagedBy: string;
  /** Why that page was sent (kept so a retry renders the same message). */
  reason: PageReason;
  /** For `escalated` / `reopened`: the severity and page time it replaced. */
  previous?: { severity: Severity; pagedAt: number };
}

export type PageReason = 'new' | 'reopened' | 'escalated';

/** What the notifier does with one page-worthy finding. */
export type IncidentDecision =
  | { page: true; reason: PageReason; previous?: { severity: Severity; pagedAt: number }; state: IncidentState }
  | { page: false; state: IncidentState };

/** The incident key of a finding: detection, account, principal label. */
export function incidentKey(f: Finding): string {
  return `incident|${f.detection}|${f.account}|${principalLabel(f)}`;
}

/** The time an incident decision is made at: the finding's event time, never later than `now` (a bad clock cannot hold an incident open). */
export function incidentTime(f: Finding, now: number): number {
  const t = Date.parse(f.time);
  return Number.isFinite(t) ? Math.min(t, now) : now;
}

/**
 * The whole policy, pure: given the key's state (or none), a page-worthy finding's severity, its
 * idempotency key and time, the decision and the state to keep.
 */
export function decideIncident(state: IncidentState | undefined, severity: Severity, findingKey: string, t: number, windowMs: number): IncidentDecision {
  const open = (reason: PageReason, previous?: { severity: Severity; pagedAt: number }): IncidentDecision => {
    // A severity rise keeps the incident's window running from its latest finding (an out-of-order rise cannot shorten it).
    const lastAt = reason === 'escalated' && state ? Math.max(state.lastAt, t) : t;
    return { page: true, reason, ...(previous ? { previous } : {}), state: { pagedAt: t, severity, lastAt, pagedBy: findingKey, reason, ...(previous ? { previous } : {}) } };
  };
  if (!state) return open('new');
  // A retry of the very finding that paged (its delivery failed and the claim was released): page it again, same message.
  if (state.pagedBy === findingKey) return { page: true, reason: state.reason, ...(state.previous ? { previous: state.previous } : {}), state };
  if (t - state.lastAt > windowMs) return open('reopened', { severity: state.severity, pagedAt: state.pagedAt });
  if (severityRank(severity) > severityRank(state.severity)) return open('escalated', { severity: state.severity, pagedAt: state.pagedAt });
  // A follow-up moves the window on; an out-of-order one (earlier than the latest) leaves the state as it is.
  return { page: false, state: t > state.lastAt ? { ...state, lastAt: t } : state };
}

/** Where incident state lives: DynamoDB in Lambda, memory in replay and tests. */
export interface IncidentStore {
  decide(key: string, severity: Severity, findingKey: string, t: number, windowMs: number): Promise<IncidentDecision>;
}

/** In-memory incidents (replay, tests, the noise bench): one process sees every finding. */
export class MemoryIncidentStore implements IncidentStore {
  readonly #state = new Map<string, IncidentState>();

  decideSync(key: string, severity: Severity, findingKey: string, t: number, windowMs: number): IncidentDecision {
    const decision = decideIncident(this.#state.get(key), severity, findingKey, t, windowMs);
    this.#state.set(key, decision.state);
    return decision;
  }

  async decide(key: string, severity: Severity, findingKey: string, t: number, windowMs: number): Promise<IncidentDecision> {
    return this.decideSync(key, severity, findingKey, t, windowMs);
  }
}

const DAY = 86_400_000;
/**
 * Optimistic-concurrency attempts before giving up (the notifier then pages: fail open). Each lost
 * race means another invocation wrote; with the notifier's reserved concurrency of 5 a decision
 * loses at most 4 times in a row.
 */
const MAX_ATTEMPTS = 8;

/**
 * Incidents in DynamoDB (the notify-dedup table: `pk` = `incident|…`, which never collides with a
 * `detection#eventID` claim). Read (consistent), decide with `decideIncident`, write back guarded by
 * the version read (`ver`), retry on a lost race: concurrent notifier invocations agree on one page.
 * TTL: a day after the window would close, long after the record stops mattering.
 */
export class DynamoIncidentStore implements IncidentStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly table: string,
  ) {}

  async decide(key: string, severity: Severity, findingKey: string, t: number, windowMs: number): Promise<IncidentDecision> {
    for (let attempt = 1; ; attempt += 1) {
      const got = await this.ddb.send(new GetItemCommand({ TableName: this.table, Key: { pk: { S: key } }, ConsistentRead: true }));
      const item = got.Item;
      const version = item ? Number(item['ver']?.N ?? '0') : 0;
      const state = item ? fromItem(item) : undefined;
      const decision = decideIncident(state, severity, findingKey, t, windowMs);
      // Nothing changed (an out-of-order follow-up, or the retry of the finding that paged): no write.
      if (state && decision.state === state) return decision;
      try {
        await this.ddb.send(
          new PutItemCommand({
            TableName: this.table,
            Item: toItem(key, decision.state, version + 1, windowMs),
            ConditionExpression: item ? 'ver = :v' : 'attribute_not_exists(pk)',
            ...(item ? { ExpressionAttributeValues: { ':v': { N: String(version) } } } : {}),
          }),
        );
        return decision;
      } catch (error) {
        const lostRace = error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';
        if (!lostRace || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

function toItem(key: string, s: IncidentState, version: number, windowMs: number): Record<string, AttributeValue> {
  return {
    pk: { S: key },
    ver: { N: String(version) },
    pagedAt: { N: String(s.pagedAt) },
    severity: { S: s.severity },
    lastAt: { N: String(s.lastAt) },
    pagedBy: { S: s.pagedBy },
    reason: { S: s.reason },
    ...(s.previous ? { prevSeverity: { S: s.previous.severity }, prevPagedAt: { N: String(s.previous.pagedAt) } } : {}),
    ttl: { N: String(Math.ceil((Math.max(s.lastAt, Date.now()) + windowMs + DAY) / 1000)) },
  };
}

function severityOf(v: string | undefined): Severity {
  return isSeverity(v) ? v : 'info';
}

function fromItem(item: Record<string, AttributeValue>): IncidentState {
  const reason = item['reason']?.S;
  const prevAt = item['prevPagedAt']?.N;
  return {
    pagedAt: Number(item['pagedAt']?.N ?? '0'),
    severity: severityOf(item['severity']?.S),
    lastAt: Number(item['lastAt']?.N ?? '0'),
    pagedBy: item['pagedBy']?.S ?? '',
    reason: reason === 'reopened' || reason === 'escalated' ? reason : 'new',
    ...(prevAt !== undefined ? { previous: { severity: severityOf(item['prevSeverity']?.S), pagedAt: Number(prevAt) } } : {}),
  };
}
