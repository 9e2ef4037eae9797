/**
 * One worker thread of parallel replay: reads the files it is sent (read, gunzip, parse) and runs
 * the stateless stage on them (`processChunk`: normalise, indexed detections), posting each file's
 * outcome back in input order. The stateful stage stays in the main thread (replay-workers.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { detections as registry } from '../detections/index.ts';
import type { DetectionContext } from '../detections/types.ts';
import { loadText, readFileChunks } from '../input/chunks.ts';
import { createDetectionIndex } from './detection-index.ts';
import { encodeEvents, transferables } from './event-codec.ts';
import type { WorkerItem, WorkerMessage, WorkerRequest } from './replay-workers.ts';
import { processChunk } from './stateless.ts';

const { context, detectionIds, requestKeys } = workerData as { context: DetectionContext; detectionIds: string[]; requestKeys: string[] | undefined };
const wanted = new Set(detectionIds);
const index = createDetectionIndex(registry.filter((d) => wanted.has(d.id)));
const port = parentPort;
if (!port) throw new Error('replay-worker.ts runs as a worker thread');

// Files are sent ahead of time: each is read and decompressed as soon as it arrives, processed in order.
const queue: Array<{ seq: number; path: string; text: Promise<string | undefined> }> = [];
let running = false;

async function run(): Promise<void> {
  running = true;
  while (queue.length > 0) {
    const job = queue.shift() as (typeof queue)[number];
    const items: WorkerItem[] = [];
    const transfer: ArrayBuffer[] = [];
    for await (const item of readFileChunks(job.path, await job.text)) {
      if (item.kind === 'skip') {
        items.push(item);
        continue;
      }
      const outcome = processChunk(item.chunk, index, context, 'defer', requestKeys);
      const events = encodeEvents(outcome.events);
      transfer.push(...transferables(events));
      items.push({ kind: 'outcome', outcome: { ...outcome, events: [] }, events });
    }
    const result: WorkerMessage = { kind: 'result', seq: job.seq, items };
    port?.postMessage(result, transfer);
  }
  running = false;
}

port.on('message', (request: WorkerRequest) => {
  queue.push({ seq: request.seq, path: request.path, text: loadText(request.path) });
  if (!running) void run();
});
