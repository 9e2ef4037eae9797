import type { Detection, DetectionContext } from '../detections/types.ts';
import type { InputRecord } from '../input/types.ts';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { boundFindings } from '../model/finding-bounds.ts';
import type { Finding, Skip, TrailEvent } from '../model/types.ts';
import type { RunCounts, UnreadableInput } from '../sinks/types.ts';
import { enrich } from './analyze.ts';
import type { FindingEnricher } from './enrichers.ts';
import { countRun, runDetections } from './run-detections.ts';
import { LearnedAccounts } from './accounts.ts';
import { RecentKeys, ReorderBuffer } from './reorder.ts';
import type { StreamProcessor } from './types.ts';

export interface ReplayPipelineOptions {
  detections: readonly Detection[];
  context?: DetectionContext;
  enrichers?: readonly FindingEnricher[];
  /** Stateful processors (API-rate anomalies…), fed every event in event-time order. */
  processors?: readonly StreamProcessor[];
  log?: Log;
  /** Events per detection chunk and per processor batch. */
  batchSize?: number;
  /** Skips logged one by one; beyond that only counted (they are all in the summary table). */
  maxLoggedSkips?: number;
  /** Called as events are read and as processor batches complete (progress bar). */
  onProgress?: (progress: { phase: 'read' | 'stream'; done: number; total?: number }) => void;
  /**
   * Event-time reorder window for the stateful processors (default 15 minutes): events are fed to
   * them in event-time order within this window; an event older than that when it is read is late
   * (fed at once, counted in `lateEvents`).
   */
  reorderWindowMs?: number;
  /** Event time for which duplicate records are recognised (default 2 hours, at least the reorder window). */
  dedupeHorizonMs?: number;
  /** Events the reorder window always holds before releasing any (default 20,000): smaller inputs are sorted exactly. */
  reorderMinEvents?: number;
}

export interface ReplayResult {
  /** Findings of detections and processors, sorted by event time, then detection. */
  findings: Finding[];
  counts: RunCounts;
  /** Duplicate records (same eventID, source, name and time) seen and ignored. */
  duplicates: number;
  /** Events read after the reorder window had passed their time (processed, out of order). */
  lateEvents: number;
  /** Most events held in the reorder window at once: replay memory is bounded by this, not the input. */
  maxReorderHeld: number;
}

/** Default reorder window: CloudTrail files cover about 5 minutes each and arrive within ~15. */
export const DEFAULT_REORDER_WINDOW_MS = 15 * 60_000;
/** Default minimum held by the reorder window: about 40 MB of parsed events. */
export const DEFAULT_REORDER_MIN_EVENTS = 20_000;
/** Default duplicate horizon. */
export const DEFAULT_DEDUPE_HORIZON_MS = 2 * 3_600_000;

/** CloudTrail delivers at least once: the same record can appear twice (overlapping files). */
function dedupKey(e: TrailEvent): string {
  return `${e.id}\u0000${e.source}\u0000${e.name}\u0000${e.timeMs}`;
}

function byTime(a: Finding, b: Finding): number {
  return a.time.localeCompare(b.time) || a.detection.localeCompare(b.detection) || a.eventId.localeCompare(b.eventId);
}

/**
 * Local replay, streaming: the same detections as the Lambda handler over records read from files,
 * and the stateful processors fed in event-time order through a bounded reorder window, in batches,
 * then `flush()`. Memory is bounded by the processors' keys, the reorder window and the findings —
 * never by the number of events. Records that cannot be read or normalised are skips with a reason
 * and an origin (`file:line`); input the readers could not read at all is listed in `counts.unreadable`.
 */
export async function replayRecords(records: AsyncIterable<InputRecord>, options: ReplayPipelineOptions): Promise<ReplayResult> {
  const log = options.log ?? silentLog;
  const batchSize = options.batchSize ?? 1000;
  const maxLogged = options.maxLoggedSkips ?? 20;
  const processors = options.processors ?? [];
  const windowMs = options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS;
  const seen = new RecentKeys(Math.max(options.dedupeHorizonMs ?? DEFAULT_DEDUPE_HORIZON_MS, windowMs));
  const reorder = new ReorderBuffer(windowMs, options.reorderMinEvents ?? DEFAULT_REORDER_MIN_EVENTS);
  const skips: Skip[] = [];
  const unreadable: UnreadableInput[] = [];
  let findings: Finding[] = [];
  let processed = 0;
  let streamed = 0;
  let duplicates = 0;
  let errors = 0;

  const addSkip = (skip: Skip): void => {
    skips.push(skip);
    if (skips.length <= maxLogged) log.warn('skipped', { reason: skip.reason, ...(skip.origin ? { origin: skip.origin } : {}) });
  };

  let ready: TrailEvent[] = [];
  const feed = async (force: boolean): Promise<void> => {
    while (ready.length >= batchSize || (force && ready.length > 0)) {
      const batch = ready.length > batchSize ? ready.slice(0, batchSize) : ready;
      ready = ready.length > batchSize ? ready.slice(batchSize) : [];
      for (const p of processors) {
        const out = await runProcessor(p, () => p.process(batch), log, () => errors++);
        log.debug('processor batch', { processor: p.name, events: batch.length, findings: out.length });
        findings.push(...out);
      }
      streamed += batch.length;
      options.onProgress?.({ phase: 'stream', done: streamed });
    }
  };

  // Same-organization judgement: the accounts seen so far (and any the caller declared).
  const accounts = new LearnedAccounts(options.context?.organization?.accounts);
  const context: DetectionContext = { ...(options.context ?? {}), organization: { accounts } };
  for (const p of processors) Object.assign(context, p.detectionContext ?? {});
  let chunk: Array<{ value: unknown; origin: string }> = [];
  const runChunk = async (): Promise<void> => {
    for (const item of chunk) accounts.observe(item.value);
    const run = runDetections(chunk, options.detections, context);
    chunk = [];
    for (const s of run.skips) addSkip(s);
    for (const e of run.errors) {
      errors++;
      log.error('detection threw', { detection: e.detection, eventId: e.eventId, error: e.message });
    }
    for (const event of run.events) {
      if (seen.seen(dedupKey(event), event.timeMs)) {
        duplicates++;
        continue;
      }
      processed++;
      if (processors.length > 0) for (const e of reorder.push(event)) ready.push(e);
    }
    // A duplicate's findings repeat the original's; they are removed once, after reading (uniqueFindings).
    for (const f of run.findings) findings.push(f);
    options.onProgress?.({ phase: 'read', done: processed + skips.length });
    await feed(false);
  };

  for await (const record of records) {
    if (record.kind === 'skip') {
      if (record.unreadable) unreadable.push({ origin: record.skip.origin ?? 'input', reason: record.skip.reason, scope: record.unreadable });
      // Skips count records: a file lost as a whole is named as unreadable, not counted as one record.
      if (record.unreadable === 'file') log.warn('unreadable input', { reason: record.skip.reason, origin: record.skip.origin });
      else addSkip(record.skip);
      continue;
    }
    chunk.push({ value: record.value, origin: record.origin });
    if (chunk.length >= batchSize) await runChunk();
  }
  if (chunk.length > 0) await runChunk();
  for (const e of reorder.drain()) ready.push(e);
  await feed(true);
  if (duplicates > 0) findings = uniqueFindings(findings);
  for (const p of processors) {
    const out = await runProcessor(p, () => p.flush(), log, () => errors++);
    log.debug('processor flushed', { processor: p.name, findings: out.length });
    findings.push(...out);
  }
  if (reorder.late > 0) log.warn('events older than the reorder window when read: fed to the stateful processors out of order', { lateEvents: reorder.late, reorderWindowMinutes: windowMs / 60_000 });

  findings = boundFindings(await enrich(findings, options.enrichers ?? [], log));
  findings.sort(byTime);
  if (skips.length > maxLogged) log.warn(`${skips.length - maxLogged} more skip(s) not logged one by one; see the summary`);
  const counts = countRun(processed, skips, findings);
  if (errors > 0) counts.detectionErrors = errors;
  const notes = processors.flatMap((p) => p.notes?.() ?? []);
  if (notes.length > 0) counts.notes = notes;
  if (unreadable.length > 0) counts.unreadable = unreadable;
  if (duplicates > 0) {
    counts.skipReasons['duplicate record (same eventID, source, name and time)'] = duplicates;
    counts.eventsSkipped += duplicates;
  }
  return { findings, counts, duplicates, lateEvents: reorder.late, maxReorderHeld: reorder.maxHeld };
}

async function runProcessor(p: StreamProcessor, call: () => Promise<Finding[]>, log: Log, onError: () => void): Promise<Finding[]> {
  try {
    return await call();
  } catch (error) {
    onError();
    log.error('stream processor threw', { processor: p.name, error: (error as Error).message });
    return [];
  }
}

function uniqueFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.eventId}\u0000${f.eventName}\u0000${f.time}\u0000${f.detection}\u0000${f.title}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
