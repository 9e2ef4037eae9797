import type { Detection, DetectionContext } from '../detections/types.ts';
import type { InputRecord } from '../input/types.ts';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { boundFindings } from '../model/finding-bounds.ts';
import type { Finding, Skip, TrailEvent } from '../model/types.ts';
import type { RunCounts, UnreadableInput } from '../sinks/types.ts';
import { enrich } from './analyze.ts';
import type { FindingEnricher } from './enrichers.ts';
import { chunksOfRecords, planPaths, readPathChunks } from '../input/chunks.ts';
import type { InputStats } from '../input/types.ts';
import { normalize } from '../model/normalize.ts';
import { createDetectionIndex, type DetectionIndex } from './detection-index.ts';
import { countRun, detectOne } from './run-detections.ts';
import { type ChunkOutcome, processChunk, requestKeysOf } from './stateless.ts';
import { LearnedAccounts } from './accounts.ts';
import { RecentEvents, ReorderBuffer } from './reorder.ts';
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
  /** The detection index (default: built from `detections`). */
  index?: DetectionIndex;
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
  /** With worker threads: how many files' stateless stage ran in the workers (all of them: this thread only consumes). */
  threads?: { workers: number; filesInWorkers: number };
}

/** Default reorder window: CloudTrail files cover about 5 minutes each and arrive within ~15. */
export const DEFAULT_REORDER_WINDOW_MS = 15 * 60_000;
/** Default minimum held by the reorder window: about 40 MB of parsed events. */
export const DEFAULT_REORDER_MIN_EVENTS = 20_000;
/** Default duplicate horizon. */
export const DEFAULT_DEDUPE_HORIZON_MS = 2 * 3_600_000;

/** CloudTrail delivers at least once: the same record can appear twice (overlapping files); `RecentEvents` recognises it. */
function byTime(a: Finding, b: Finding): number {
  return a.time.localeCompare(b.time) || a.detection.localeCompare(b.detection) || a.eventId.localeCompare(b.eventId);
}

/**
 * The stateful stage of replay: takes the stateless stage's chunk outcomes (`stateless.ts`) in input
 * order — from this thread or from worker threads — resolves deferred judgements with the accounts
 * learned so far, drops duplicates, and feeds the stateful processors in event-time order through a
 * bounded reorder window, in batches, then `flush()`. Memory is bounded by the processors' keys, the
 * reorder window (compact events) and the findings — never by the number of events.
 */
class StatefulStage {
  private readonly log: Log;
  private readonly batchSize: number;
  private readonly maxLogged: number;
  private readonly processors: readonly StreamProcessor[];
  private readonly windowMs: number;
  private readonly seen: RecentEvents;
  private readonly reorder: ReorderBuffer;
  private readonly skips: Skip[] = [];
  private readonly unreadable: UnreadableInput[] = [];
  private findings: Finding[] = [];
  private processed = 0;
  private streamed = 0;
  private duplicates = 0;
  private errors = 0;
  private ready: TrailEvent[] = [];
  private readonly byId: Map<string, Detection>;
  /** Same-organization judgement: the accounts seen so far (and any the caller declared). */
  readonly accounts: LearnedAccounts;
  /** The context every detection gets (the processors' assumptions merged in). */
  readonly context: DetectionContext;
  readonly index: DetectionIndex;
  /** What the events keep of `requestParameters`: the keys the processors read (`requestKeysOf`). */
  readonly requestKeys: readonly string[] | undefined;

  constructor(private readonly options: ReplayPipelineOptions) {
    this.log = options.log ?? silentLog;
    this.batchSize = options.batchSize ?? 1000;
    this.maxLogged = options.maxLoggedSkips ?? 20;
    this.processors = options.processors ?? [];
    this.windowMs = options.reorderWindowMs ?? DEFAULT_REORDER_WINDOW_MS;
    this.seen = new RecentEvents(Math.max(options.dedupeHorizonMs ?? DEFAULT_DEDUPE_HORIZON_MS, this.windowMs));
    this.reorder = new ReorderBuffer(this.windowMs, options.reorderMinEvents ?? DEFAULT_REORDER_MIN_EVENTS);
    this.accounts = new LearnedAccounts(options.context?.organization?.accounts);
    const context: DetectionContext = { ...(options.context ?? {}), organization: { accounts: this.accounts } };
    for (const p of this.processors) Object.assign(context, p.detectionContext ?? {});
    this.context = context;
    this.index = options.index ?? createDetectionIndex(options.detections);
    this.byId = new Map(options.detections.map((d) => [d.id, d]));
    this.requestKeys = requestKeysOf(this.processors);
  }

  /** The context a worker thread can take (plain data: the learned organization stays here). */
  get portableContext(): DetectionContext {
    const { organization: _organization, ...rest } = this.context;
    return rest;
  }

  observeAccount(account: string): void {
    this.accounts.observe({ recipientAccountId: account });
  }

  skip(record: Extract<InputRecord, { kind: 'skip' }>): void {
    if (record.unreadable) this.unreadable.push({ origin: record.skip.origin ?? 'input', reason: record.skip.reason, scope: record.unreadable });
    // Skips count records: a file lost as a whole is named as unreadable, not counted as one record.
    if (record.unreadable === 'file') this.log.warn('unreadable input', { reason: record.skip.reason, origin: record.skip.origin });
    else this.addSkip(record.skip);
  }

  private addSkip(skip: Skip): void {
    this.skips.push(skip);
    if (this.skips.length <= this.maxLogged) this.log.warn('skipped', { reason: skip.reason, ...(skip.origin ? { origin: skip.origin } : {}) });
  }

  /** One chunk's outcome, in input order. */
  async accept(outcome: ChunkOutcome): Promise<void> {
    for (const a of outcome.accounts) this.observeAccount(a);
    for (const s of outcome.skips) this.addSkip(s);
    const findings = outcome.deferred.length === 0 ? outcome.findings : this.resolveDeferred(outcome);
    for (const e of outcome.errors) {
      this.errors++;
      this.log.error('detection threw', { detection: e.detection, eventId: e.eventId, error: e.message });
    }
    // Indexed, not for-of: until this loop is optimised, for-of allocates an iterator result per event.
    const events = outcome.events;
    for (let i = 0; i < events.length; i += 1) {
      const event = events[i] as TrailEvent;
      if (this.seen.seen(event)) {
        this.duplicates++;
        continue;
      }
      this.processed++;
      if (this.processors.length > 0) this.reorder.push(event, this.ready);
    }
    // A duplicate's findings repeat the original's; they are removed once, after reading (uniqueFindings).
    for (let i = 0; i < findings.length; i += 1) this.findings.push(findings[i] as Finding);
    this.options.onProgress?.({ phase: 'read', done: this.processed + this.skips.length });
    await this.feed(false);
  }

  /** Judgements a worker could not make (they need the learned organization), made here and put back in place. */
  private resolveDeferred(outcome: ChunkOutcome): Finding[] {
    const merged: Finding[] = [];
    let from = 0;
    for (const d of outcome.deferred) {
      for (let i = from; i < d.at; i++) merged.push(outcome.findings[i] as Finding);
      from = d.at;
      const detection = this.byId.get(d.detection);
      const result = normalize(d.value);
      if (!detection || !result.ok) continue;
      merged.push(
        ...detectOne(result.event, [detection], this.context, (id, error) => {
          outcome.errors.push({ detection: id, eventId: result.event.id, message: error.message });
        }),
      );
    }
    for (let i = from; i < outcome.findings.length; i++) merged.push(outcome.findings[i] as Finding);
    return merged;
  }

  private async feed(force: boolean): Promise<void> {
    const size = this.batchSize;
    while (this.ready.length >= size || (force && this.ready.length > 0)) {
      const batch = this.ready.length > size ? this.ready.slice(0, size) : this.ready;
      this.ready = this.ready.length > size ? this.ready.slice(size) : [];
      for (const p of this.processors) {
        const out = await runProcessor(p, () => p.process(batch), this.log, () => this.errors++);
        this.log.debug('processor batch', { processor: p.name, events: batch.length, findings: out.length });
        for (const f of out) this.findings.push(f);
      }
      this.streamed += batch.length;
      this.options.onProgress?.({ phase: 'stream', done: this.streamed });
    }
  }

  async finish(): Promise<ReplayResult> {
    const { log, processors, reorder } = this;
    reorder.drain(this.ready);
    await this.feed(true);
    let findings = this.duplicates > 0 ? uniqueFindings(this.findings) : this.findings;
    for (const p of processors) {
      const out = await runProcessor(p, () => p.flush(), log, () => this.errors++);
      log.debug('processor flushed', { processor: p.name, findings: out.length });
      findings.push(...out);
    }
    if (reorder.late > 0) log.warn('events older than the reorder window when read: fed to the stateful processors out of order', { lateEvents: reorder.late, reorderWindowMinutes: this.windowMs / 60_000 });

    findings = boundFindings(await enrich(findings, this.options.enrichers ?? [], log));
    findings.sort(byTime);
    const skips = this.skips;
    if (skips.length > this.maxLogged) log.warn(`${skips.length - this.maxLogged} more skip(s) not logged one by one; see the summary`);
    const counts = countRun(this.processed, skips, findings);
    if (this.errors > 0) counts.detectionErrors = this.errors;
    const notes = processors.flatMap((p) => p.notes?.() ?? []);
    if (notes.length > 0) counts.notes = notes;
    if (this.unreadable.length > 0) counts.unreadable = this.unreadable;
    if (this.duplicates > 0) {
      counts.skipReasons['duplicate record (same eventID, source, name and time)'] = this.duplicates;
      counts.eventsSkipped += this.duplicates;
    }
    return { findings, counts, duplicates: this.duplicates, lateEvents: reorder.late, maxReorderHeld: reorder.maxHeld };
  }
}

/**
 * Local replay of a record stream (any reader): the same detections as the Lambda handler, and the
 * stateful processors fed in event-time order. Records are grouped into chunks of `batchSize`.
 * Records that cannot be read or normalised are skips with a reason and an origin (`file:line`);
 * input the readers could not read at all is listed in `counts.unreadable`.
 */
export async function replayRecords(records: AsyncIterable<InputRecord>, options: ReplayPipelineOptions): Promise<ReplayResult> {
  const stage = new StatefulStage(options);
  const local = { observe: (a: string) => stage.observeAccount(a), set: stage.accounts };
  let buffered: InputRecord[] = [];
  const size = options.batchSize ?? 1000;
  const drain = async (): Promise<void> => {
    for (const item of chunksOfRecords(buffered, '', size)) {
      if (item.kind === 'skip') stage.skip(item);
      else await stage.accept(processChunk(item.chunk, stage.index, stage.context, local, stage.requestKeys));
    }
    buffered = [];
  };
  for await (const record of records) {
    buffered.push(record);
    if (buffered.length >= size) await drain();
  }
  await drain();
  return stage.finish();
}

export interface ReplayFilesOptions extends ReplayPipelineOptions {
  /** Files and directories counted as they are read (the summary's "files"). */
  stats?: InputStats;
  /**
   * Worker threads for the stateless stage (read, gunzip, parse, normalise, detections); 0 runs it
   * in this thread. The stateful stage (dedup, reorder, processors, enrichers) always runs here, in
   * input order, so the result is the same for every value.
   */
  workers?: number;
}

/**
 * Replays files and directories (what `trailwatch replay` does): the chunked reader (whole files,
 * read and decompressed ahead on libuv's pool), the indexed detections, and the stateful stage, in
 * this thread or with `workers` worker threads doing the stateless stage file by file.
 */
export async function replayFiles(paths: readonly string[], options: ReplayFilesOptions): Promise<ReplayResult> {
  const stage = new StatefulStage(options);
  const stats = options.stats ?? { files: 0, ignored: 0 };
  const log = options.log ?? silentLog;
  const workers = Math.max(0, Math.floor(options.workers ?? 0));
  if (workers > 0) {
    const { replayInWorkers } = await import('./replay-workers.ts');
    const share = await replayInWorkers(planPaths(paths, stats, log), workers, stage.portableContext, options.detections, stage.requestKeys, {
      skip: (item) => stage.skip(item),
      accept: (outcome) => stage.accept(outcome),
    });
    return { ...(await stage.finish()), threads: { workers, ...share } };
  }
  const local = { observe: (a: string) => stage.observeAccount(a), set: stage.accounts };
  for await (const item of readPathChunks(paths, stats, log)) {
    if (item.kind === 'skip') stage.skip(item);
    else await stage.accept(processChunk(item.chunk, stage.index, stage.context, local, stage.requestKeys));
  }
  return stage.finish();
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
