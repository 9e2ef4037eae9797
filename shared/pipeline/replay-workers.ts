import { Worker } from 'node:worker_threads';
import type { Detection, DetectionContext } from '../detections/types.ts';
import type { PathPlanItem, ReadItem } from '../input/chunks.ts';
import { detections as registry } from '../detections/index.ts';
import { decodeEvents, type EncodedEvents } from './event-codec.ts';
import { replayWorkerEntry } from './worker-bundle.ts';
import type { ChunkOutcome } from './stateless.ts';

/** A file for a worker to read; `seq` is its place in the input order. */
export interface WorkerRequest {
  seq: number;
  path: string;
}
/** A chunk's outcome, its events in columns (`event-codec.ts`; `outcome.events` is empty), or a skip. */
export type WorkerItem = { kind: 'outcome'; outcome: ChunkOutcome; events: EncodedEvents } | Extract<ReadItem, { kind: 'skip' }>;
/** One file's outcomes (and skips), in its order. */
export interface WorkerResult {
  seq: number;
  items: WorkerItem[];
}

/** Where results go, in input order (the stateful stage). */
export interface OrderedSink {
  skip(item: Extract<ReadItem, { kind: 'skip' }>): void;
  accept(outcome: ChunkOutcome): Promise<void>;
}

/** Files each worker may hold ahead (being read while it processes one). */
const AHEAD_PER_WORKER = 2;
/** Files whose results may wait for an earlier, slower file: bounds memory to a few files per worker. */
const WINDOW_PER_WORKER = 4;

/**
 * Runs the stateless stage of replay on `workers` worker threads, file by file, and hands every
 * result to `sink` in input order (a file's results wait until every earlier file's are in), so the
 * stateful stage sees exactly what a single-threaded run gives it. Worker threads take the
 * registry's detections by id; a detection that is not in the registry (a test's own) cannot
 * cross a thread and is refused.
 */
export async function replayInWorkers(plan: AsyncIterable<PathPlanItem>, workers: number, context: DetectionContext, detections: readonly Detection[], sink: OrderedSink): Promise<void> {
  const known = new Set(registry);
  const foreign = detections.filter((d) => !known.has(d));
  if (foreign.length > 0) throw new Error(`worker threads run registry detections only; not in the registry: ${foreign.map((d) => d.id).join(', ')}`);
  const detectionIds = detections.map((d) => d.id);
  const entry = (await replayWorkerEntry()).url;
  const pool = Array.from({ length: workers }, () => ({
    worker: new Worker(entry, { workerData: { context, detectionIds } }),
    inFlight: 0,
  }));
  const results = new Map<number, WorkerItem[]>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (const slot of pool) {
    slot.worker.on('message', (m: WorkerResult) => {
      results.set(m.seq, m.items);
      slot.inFlight--;
      notify();
    });
    slot.worker.on('error', (error: Error) => {
      failure = error;
      notify();
    });
    slot.worker.on('exit', (code) => {
      if (code !== 0 && !failure) failure = new Error(`replay worker exited with code ${code}`);
      notify();
    });
  }
  const iterator = plan[Symbol.asyncIterator]();
  let exhausted = false;
  let assigned = 0;
  let consumed = 0;
  const free = () => pool.filter((s) => s.inFlight < AHEAD_PER_WORKER).sort((a, b) => a.inFlight - b.inFlight)[0];
  try {
    for (;;) {
      while (!exhausted && assigned - consumed < workers * WINDOW_PER_WORKER) {
        const slot = free();
        if (!slot) break;
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const seq = assigned++;
        if (next.value.kind === 'skip') results.set(seq, [next.value]);
        else {
          slot.inFlight++;
          const request: WorkerRequest = { seq, path: next.value.path };
          slot.worker.postMessage(request);
        }
      }
      while (results.has(consumed)) {
        const items = results.get(consumed) as WorkerItem[];
        results.delete(consumed);
        consumed++;
        for (const item of items) {
          if (item.kind === 'outcome') await sink.accept({ ...item.outcome, events: decodeEvents(item.events) });
          else sink.skip(item);
        }
      }
      if (failure) throw failure;
      if (exhausted && consumed === assigned) return;
      if (results.has(consumed)) continue;
      if (!exhausted && free() && assigned - consumed < workers * WINDOW_PER_WORKER) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    await Promise.all(pool.map((s) => s.worker.terminate()));
  }
}
