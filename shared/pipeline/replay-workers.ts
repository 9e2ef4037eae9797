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
/** What a worker posts: a file's results. */
export type WorkerMessage = { kind: 'result' } & WorkerResult;

/** Where results go, in input order (the stateful stage). */
export interface OrderedSink {
  skip(item: Extract<ReadItem, { kind: 'skip' }>): void;
  accept(outcome: ChunkOutcome): Promise<void>;
}

/**
 * Files whose stateless stage ran in the workers (the bench and the tests read it). The main thread
 * never runs it itself while it has workers: on 2 cores that was measured slower, because the run
 * is bound by CPU and this thread would compile the stateless stage's code too (docs/performance.md
 * "Replay", fifth round; the option was removed in the sixth).
 */
export interface ThreadShare {
  filesInWorkers: number;
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
 * cross a thread and is refused. `requestKeys`: what the events keep of `requestParameters`
 * (`processChunk`).
 */
export async function replayInWorkers(
  plan: AsyncIterable<PathPlanItem>,
  workers: number,
  context: DetectionContext,
  detections: readonly Detection[],
  requestKeys: readonly string[] | undefined,
  sink: OrderedSink,
): Promise<ThreadShare> {
  const known = new Set(registry);
  const foreign = detections.filter((d) => !known.has(d));
  if (foreign.length > 0) throw new Error(`worker threads run registry detections only; not in the registry: ${foreign.map((d) => d.id).join(', ')}`);
  const detectionIds = detections.map((d) => d.id);
  const { url: entry, bundled } = await replayWorkerEntry();
  // A bundle needs no loader: the parent's `--import tsx` (the bench child, `tsx` itself) would make
  // every worker load tsx and resolve each import through its hooks thread (≈ 90 ms more start-up
  // and 65 ms more CPU per worker, docs/performance.md "Replay", fifth round).
  const execArgv = bundled ? withoutTsx(process.execArgv) : process.execArgv;
  const pool = Array.from({ length: workers }, () => ({
    worker: new Worker(entry, { workerData: { context, detectionIds, requestKeys }, execArgv }),
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
    slot.worker.on('message', (m: WorkerMessage) => {
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
  const share: ThreadShare = { filesInWorkers: 0 };
  const window = workers * WINDOW_PER_WORKER;
  // Files are sent at once: a loading worker queues them and reads them as soon as it is up.
  const free = () => pool.filter((s) => s.inFlight < AHEAD_PER_WORKER).sort((a, b) => a.inFlight - b.inFlight)[0];
  /** The next plan item with its place in the input order, or undefined at the end. */
  const nextItem = async (): Promise<{ seq: number; item: PathPlanItem } | undefined> => {
    const next = await iterator.next();
    if (next.done) {
      exhausted = true;
      return undefined;
    }
    return { seq: assigned++, item: next.value };
  };
  try {
    for (;;) {
      while (!exhausted && assigned - consumed < window) {
        const slot = free();
        if (!slot) break;
        const next = await nextItem();
        if (!next) break;
        if (next.item.kind === 'skip') results.set(next.seq, [next.item]);
        else {
          slot.inFlight++;
          share.filesInWorkers++;
          const request: WorkerRequest = { seq: next.seq, path: next.item.path };
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
      if (exhausted && consumed === assigned) return share;
      if (results.has(consumed)) continue;
      if (!exhausted && free() && assigned - consumed < window) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    await Promise.all(pool.map((s) => s.worker.terminate()));
  }
}

/** `argv` without the options that load tsx (`--import tsx`, `--require tsx/cjs`, `--loader tsx`…, spaced or with `=`). */
export function withoutTsx(argv: readonly string[]): string[] {
  const out: string[] = [];
  const loaders = /^(--import|--require|-r|--loader|--experimental-loader)$/;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (loaders.test(a) && /(^|[/\\])tsx([/\\]|$)/.test(argv[i + 1] ?? '')) {
      i++;
      continue;
    }
    const eq = /^(--import|--require|--loader|--experimental-loader)=(.*)$/.exec(a);
    if (eq && /(^|[/\\])tsx([/\\]|$)/.test(eq[2] as string)) continue;
    out.push(a);
  }
  return out;
}
