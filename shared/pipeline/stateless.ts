import type { AccountSet, Detection, DetectionContext } from '../detections/types.ts';
import { originOf, type RecordChunk } from '../input/chunks.ts';
import { normalize } from '../model/normalize.ts';
import type { Finding, Skip, TrailEvent } from '../model/types.ts';
import type { DetectionIndex } from './detection-index.ts';
import { detectionErrorFinding } from './run-detections.ts';

/**
 * The stateless half of replay for one chunk of records — normalise, pick the detections the event
 * can match (`DetectionIndex`), detect — producing what the stateful stage needs, in input order.
 * It runs in the main thread or in a worker thread (`replay-worker.ts`): its output is
 * structured-cloneable, and the stateful stage (shared/pipeline/replay.ts) consumes it the same way
 * either way, so findings and counts do not depend on where it ran.
 */
export interface ChunkOutcome {
  /** Recipient accounts (12-digit `recipientAccountId`) of the chunk's records, for the learned organization. */
  accounts: string[];
  /** The chunk's events, compact (`compactEvent`), in input order. */
  events: TrailEvent[];
  /** Findings of the stateless detections, in input order, then registry order per event. */
  findings: Finding[];
  /**
   * Detections that asked about the learned organization (`context.organization.accounts`) while
   * the chunk ran away from the stateful stage: their judgement is redone there, with the accounts
   * learned so far, and spliced in at `at` (an index into `findings`).
   */
  deferred: Array<{ at: number; detection: string; value: unknown; origin: string }>;
  skips: Skip[];
  errors: Array<{ detection: string; eventId: string; message: string }>;
}

const ACCOUNT_ID = /^\d{12}$/;

/** The `recipientAccountId` value of a raw input (EventBridge envelope or bare record), as `LearnedAccounts.observe` reads it, not yet checked. */
function recipientValueOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const detail = typeof v['detail'] === 'object' && v['detail'] !== null ? (v['detail'] as Record<string, unknown>) : v;
  return detail['recipientAccountId'];
}

/**
 * What the stateful processors get: the event without the bulk of its raw record. Processors read
 * the normalised fields and `requestParameters` (only the keys they say they read, `requestKeys`,
 * when given); of `raw` only the fields the rate detector's scope check reads are kept
 * (`eventCategory`, `managementEvent`). `responseElements` and `additionalEventData` (session
 * credentials, large documents) are dropped, except a console sign-in's
 * `responseElements.ConsoleLogin` (Success/Failure: the baseline behaviours learn only successful
 * sign-ins). The reorder window holds thousands of these, and worker threads send them to the
 * main thread, so smaller is faster.
 */
export function compactEvent(e: TrailEvent, requestKeys?: readonly string[]): TrailEvent {
  const raw: TrailEvent['raw'] = {};
  if (e.raw.eventCategory !== undefined) raw.eventCategory = e.raw.eventCategory;
  if (e.raw.managementEvent !== undefined) raw.managementEvent = e.raw.managementEvent;
  // In place (no copy per event): the detections are done with it, and findings hold no reference to the event.
  e.raw = raw;
  const signIn = e.name === 'ConsoleLogin' ? e.responseElements?.['ConsoleLogin'] : undefined;
  e.responseElements = signIn === undefined ? null : { ConsoleLogin: signIn };
  e.additionalEventData = null;
  if (requestKeys !== undefined && e.requestParameters !== null) e.requestParameters = pick(e.requestParameters, requestKeys);
  return e;
}

/** Only `keys` of `o` (null when it has none of them): a new object, the values shared. */
function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> | null {
  let kept: Record<string, unknown> | null = null;
  for (const k of keys) {
    const v = o[k];
    if (v !== undefined) (kept ??= {})[k] = v;
  }
  return kept;
}

/**
 * The `requestParameters` keys the stateful processors read (`StreamProcessor.requestParameters`),
 * or undefined — keep them all — when there is none or one of them does not say.
 */
export function requestKeysOf(processors: ReadonlyArray<{ readonly requestParameters?: readonly string[] }>): string[] | undefined {
  const keys = new Set<string>();
  for (const p of processors) {
    if (p.requestParameters === undefined) return undefined;
    for (const k of p.requestParameters) keys.add(k);
  }
  return processors.length === 0 ? undefined : [...keys].sort();
}

/** An AccountSet that answers nothing and notes that it was asked: the caller defers that judgement. */
class AskedAccounts implements AccountSet {
  asked = false;
  has(): boolean {
    this.asked = true;
    return false;
  }
}

/**
 * Runs the chunk. `accounts` is the learned organization when the chunk runs in the stateful stage's
 * thread (it is told the chunk's accounts first); `'defer'` in a worker: a detection that asks
 * about it is deferred (`ChunkOutcome.deferred`). `requestKeys`: what `compactEvent` keeps of each
 * event's `requestParameters` (`requestKeysOf` the stateful processors; all of it when undefined).
 */
export function processChunk(
  chunk: RecordChunk,
  index: DetectionIndex,
  context: DetectionContext,
  accounts: { observe(account: string): void; set: AccountSet } | 'defer',
  requestKeys?: readonly string[],
): ChunkOutcome {
  const out: ChunkOutcome = { accounts: [], events: [], findings: [], deferred: [], skips: [], errors: [] };
  const values = chunk.values;
  const seenAccounts = new Set<string>();
  // A file's records nearly all name the same account: a value equal to the previous one was judged already.
  let previous: unknown;
  for (const v of values) {
    const a = recipientValueOf(v);
    if (a === previous) continue;
    previous = a;
    if (typeof a === 'string' && !seenAccounts.has(a) && ACCOUNT_ID.test(a)) {
      seenAccounts.add(a);
      out.accounts.push(a);
      if (accounts !== 'defer') accounts.observe(a);
    }
  }
  const asked = accounts === 'defer' ? new AskedAccounts() : undefined;
  const ctx: DetectionContext = { ...context, organization: { accounts: asked ?? (accounts as { set: AccountSet }).set } };
  for (let i = 0; i < values.length; i++) {
    const result = normalize(values[i]);
    if (!result.ok) {
      out.skips.push({ ...result.skip, origin: originOf(chunk, i) });
      continue;
    }
    const event = result.event;
    const detections = index.forEvent(event);
    for (let j = 0; j < detections.length; j++) {
      const d = detections[j] as Detection;
      if (asked) asked.asked = false;
      let found: Finding[];
      try {
        found = d.detect(event, ctx);
      } catch (error) {
        if (asked?.asked) {
          out.deferred.push({ at: out.findings.length, detection: d.id, value: values[i], origin: originOf(chunk, i) });
          continue;
        }
        out.errors.push({ detection: d.id, eventId: event.id, message: (error as Error).message });
        found = [detectionErrorFinding(d, event, error as Error)];
      }
      if (asked?.asked) {
        out.deferred.push({ at: out.findings.length, detection: d.id, value: values[i], origin: originOf(chunk, i) });
        continue;
      }
      for (const f of found) out.findings.push(f);
    }
    out.events.push(compactEvent(event, requestKeys));
  }
  return out;
}
