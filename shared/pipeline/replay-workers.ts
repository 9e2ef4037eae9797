import { Worker } from 'node:worker_threads';
import type { Detection, DetectionContext } from '../detections/types.ts';
import { type PathPlanItem, type ReadItem, readFileChunks } from '../input/chunks.ts';
import { detections as registry } from '../detections/index.ts';
import { decodeEvents, type EncodedEvents } from './event-codec.ts';
import { replayWorkerEntry } from './worker-bundle.ts';
import type { DetectionIndex } from './detection-index.ts';
import { type ChunkOutcome, processChunk } from './stateless.ts';

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
/** What a worker posts: a file's results, or (once, first) that it has loaded and takes files. */
export type WorkerMessage = ({ kind: 'result' } & WorkerResult) | { kind: 'ready' };
/** A file's results as the pool holds them: from a worker (events in columns) or from this thread (events as they are). */
type HeldItem = WorkerItem | { kind: 'here'; outcome: ChunkOutcome };

/** Where results go, in input order (the stateful stage). */
export interface OrderedSink {
  skip(item: Extract<ReadItem, { kind: 'skip' }>): void;
  accept(outcome: ChunkOutcome): Promise<void>;
}

/** Files whose stateless stage ran in this thread and in the workers (the bench and the tests read it). */
export interface ThreadShare {
  filesHere: number;
  filesInWorkers: number;
}

/** What this thread needs to run the stateless stage on a file itself (the stateful stage's index and context), and when it does. */
export interface LocalStage {
  index: DetectionIndex;
  context: DetectionContext;
  /**
   * `'starting'`: only while no worker has loaded yet. `'idle'`: whenever this thread has nothing
   * to consume, for the whole run. Either way V8 compiles the stateless stage's code in this thread
   * too: both cost CPU, measured on 2 cores (docs/performance.md "Replay", fifth round), which is
   * why replay passes no `LocalStage` by default. Tests use `'idle'` to mix this thread's outcomes
   * with the workers' all along the input.
   */
  when: 'starting' | 'idle';
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
 *
 * With `here`, this thread takes part: a worker gets files only once it has loaded (its `ready`
 * message), and until then — or, with `here.when: 'idle'`, whenever it has no result to consume in
 * order — this thread runs the stateless stage on the next file itself (in the workers' `'defer'`
 * mode, so its outcome is the one a worker would send, without the event codec) instead of
 * waiting. Every outcome, wherever it ran, goes to the sink in input order.
 */
export async function replayInWorkers(plan: AsyncIterable<PathPlanItem>, workers: number, context: DetectionContext, detections: readonly Detection[], sink: OrderedSink, here?: LocalStage): Promise<ThreadShare> {
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
    worker: new Worker(entry, { workerData: { context, detectionIds }, execArgv }),
    inFlight: 0,
    ready: false,
  }));
  const results = new Map<number, HeldItem[]>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  for (const slot of pool) {
    slot.worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'ready') slot.ready = true;
      else {
        results.set(m.seq, m.items);
        slot.inFlight--;
      }
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
  const share: ThreadShare = { filesHere: 0, filesInWorkers: 0 };
  const window = workers * WINDOW_PER_WORKER;
  // Without `here`, files are sent at once: a loading worker queues them and reads them as soon as it is up.
  const free = () => pool.filter((s) => (s.ready || !here) && s.inFlight < AHEAD_PER_WORKER).sort((a, b) => a.inFlight - b.inFlight)[0];
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
        const items = results.get(consumed) as HeldItem[];
        results.delete(consumed);
        consumed++;
        for (const item of items) {
          if (item.kind === 'outcome') await sink.accept({ ...item.outcome, events: decodeEvents(item.events) });
          else if (item.kind === 'here') await sink.accept(item.outcome);
          else sink.skip(item);
        }
      }
      if (failure) throw failure;
      if (exhausted && consumed === assigned) return share;
      if (results.has(consumed)) continue;
      if (!exhausted && free() && assigned - consumed < window) continue;
      // Nothing to consume and no worker can take a file: this thread takes the next one (`'starting'`: only while no worker has loaded).
      if (here && !exhausted && assigned - consumed < window + 1 && (here.when === 'idle' || !pool.some((s) => s.ready))) {
        const next = await nextItem();
        if (next?.item.kind === 'skip') results.set(next.seq, [next.item]);
        else if (next) {
          share.filesHere++;
          results.set(next.seq, await statelessHere(next.item.path, here));
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    await Promise.all(pool.map((s) => s.worker.terminate()));
  }
}

/** The stateless stage of one file in this thread, as a worker runs it (`replay-worker.ts`), without the codec. */
async function statelessHere(path: string, here: LocalStage): Promise<HeldItem[]> {
  const items: HeldItem[] = [];
  for await (const item of readFileChunks(path)) {
    if (item.kind === 'skip') items.push(item);
    else items.push({ kind: 'here', outcome: processChunk(item.chunk, here.index, here.context, 'defer') });
  }
  return items;
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
