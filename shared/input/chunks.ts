import { readFile as readFileBytes, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { MAX_DOCUMENT_BYTES, planPaths, readFile, walk, type PathPlanItem } from './files.ts';
import type { InputRecord, InputStats } from './types.ts';

const gunzipAsync = promisify(gunzip);
/** Output chunk of the one-shot gunzip: large, so a file of a few MB takes a few callbacks rather than hundreds. */
const GUNZIP_CHUNK = 1 << 20;

/**
 * Where the records of a chunk came from, kept compact: origins are strings only when a skip needs
 * one (`file:Records[i]`, `file[i]`, `file`), so the hot path builds no string per record.
 */
export type ChunkOrigins = { style: 'records' | 'array'; base: number } | { style: 'single' } | { style: 'list'; list: string[] };

/** Up to `CHUNK_RECORDS` consecutive records of one file, not yet normalised. Structured-cloneable (worker threads). */
export interface RecordChunk {
  file: string;
  values: unknown[];
  origins: ChunkOrigins;
}

/** What a chunked reader yields, in input order: records, or a skip (unreadable input) as `readPaths` gives it. */
export type ReadItem = { kind: 'chunk'; chunk: RecordChunk } | Extract<InputRecord, { kind: 'skip' }>;

/** Records per chunk: CloudTrail writes files of a few hundred to a few thousand records. */
export { planPaths, type PathPlanItem };

export const CHUNK_RECORDS = 1000;

/** The origin of record `i` of a chunk, as `readPaths` names it. */
export function originOf(chunk: RecordChunk, i: number): string {
  const o = chunk.origins;
  if (o.style === 'records') return `${chunk.file}:Records[${o.base + i}]`;
  if (o.style === 'array') return `${chunk.file}[${o.base + i}]`;
  if (o.style === 'list') return o.list[i] ?? chunk.file;
  return chunk.file;
}

function* sliced(file: string, values: unknown[], style: 'records' | 'array', size: number): Generator<ReadItem> {
  for (let base = 0; base < values.length; base += size) {
    yield { kind: 'chunk', chunk: { file, values: values.slice(base, base + size), origins: { style, base } } };
  }
}

/** Groups a record stream (the general reader) into chunks, keeping skips in place. */
export function* chunksOfRecords(records: Iterable<InputRecord>, file: string, size = CHUNK_RECORDS): Generator<ReadItem> {
  let values: unknown[] = [];
  let list: string[] = [];
  for (const r of records) {
    if (r.kind === 'skip') {
      if (values.length > 0) yield { kind: 'chunk', chunk: { file, values, origins: { style: 'list', list } } };
      values = [];
      list = [];
      yield r;
      continue;
    }
    values.push(r.value);
    list.push(r.origin);
    if (values.length >= size) {
      yield { kind: 'chunk', chunk: { file, values, origins: { style: 'list', list } } };
      values = [];
      list = [];
    }
  }
  if (values.length > 0) yield { kind: 'chunk', chunk: { file, values, origins: { style: 'list', list } } };
}

async function* chunksOfAsync(records: AsyncIterable<InputRecord>, file: string, size: number): AsyncGenerator<ReadItem> {
  const buffered: InputRecord[] = [];
  for await (const r of records) {
    buffered.push(r);
    if (buffered.length >= size || r.kind === 'skip') {
      yield* chunksOfRecords(buffered.splice(0), file, size);
    }
  }
  yield* chunksOfRecords(buffered, file, size);
}

/** The decompressed text of a file in one go (read and gunzip run on libuv's thread pool), or undefined when the general reader must handle it. */
export async function loadText(path: string): Promise<string | undefined> {
  if (/\.(jsonl|ndjson)(\.gz)?$/i.test(path)) return undefined;
  try {
    const bytes = await readFileBytes(path);
    const raw = /\.gz$/i.test(path) ? await gunzipAsync(bytes, { maxOutputLength: MAX_DOCUMENT_BYTES, chunkSize: GUNZIP_CHUNK }) : bytes;
    if (raw.length > MAX_DOCUMENT_BYTES) return undefined;
    return raw.toString('utf8');
  } catch {
    // Missing, corrupt, truncated or too large: the general reader names the problem and keeps what it can.
    return undefined;
  }
}

/**
 * The records of one file as chunks. The fast path (a CloudTrail log file or a JSON array that
 * parses) slices the parsed records without one object or string per record; anything else — JSON
 * Lines, a corrupt or truncated file, a single event, an envelope — goes through the general reader
 * (`readFile`), so every skip, origin and salvage rule stays exactly as `readPaths` gives it.
 * `text`, when given, is the file's already loaded text (prefetched by `loadText`).
 */
export async function* readFileChunks(path: string, text?: string, size = CHUNK_RECORDS): AsyncGenerator<ReadItem> {
  const body = text ?? (await loadText(path));
  if (body !== undefined && body.charCodeAt(0) !== 0xfeff) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      doc = undefined;
    }
    if (Array.isArray(doc)) {
      yield* sliced(path, doc, 'array', size);
      return;
    }
    if (typeof doc === 'object' && doc !== null && Array.isArray((doc as { Records?: unknown }).Records)) {
      yield* sliced(path, (doc as { Records: unknown[] }).Records, 'records', size);
      return;
    }
  }
  yield* chunksOfAsync(readFile(path), path, size);
}

/**
 * Every record of the given paths as chunks, in `readPaths` order. The next files are read and
 * decompressed (off the main thread, on libuv's pool) while the current one is processed.
 */
export async function* readPathChunks(paths: readonly string[], stats: InputStats = { files: 0, ignored: 0 }, log: Log = silentLog, prefetch = 2): AsyncGenerator<ReadItem> {
  const pending: Array<{ item: PathPlanItem; text?: Promise<string | undefined> }> = [];
  const plan = planPaths(paths, stats, log);
  let done = false;
  const fill = async (): Promise<void> => {
    while (!done && pending.filter((p) => p.text).length <= prefetch) {
      const next = await plan.next();
      if (next.done) {
        done = true;
        return;
      }
      const item = next.value;
      pending.push(item.kind === 'file' ? { item, text: loadText(item.path) } : { item });
    }
  };
  for (;;) {
    await fill();
    const head = pending.shift();
    if (!head) return;
    if (head.item.kind === 'skip') {
      yield head.item;
      continue;
    }
    const text = await head.text;
    yield* readFileChunks(head.item.path, text);
  }
}

/** Estimated uncompressed size of what the paths hold (a `.gz` counts ten times its size): for `--workers auto`. */
export async function estimateInputBytes(paths: readonly string[]): Promise<number> {
  let total = 0;
  const add = async (file: string): Promise<void> => {
    try {
      const size = (await stat(file)).size;
      total += /\.gz$/i.test(file) ? size * 10 : size;
    } catch {
      // Unreadable: the reader reports it.
    }
  };
  for (const path of paths) {
    try {
      if ((await stat(path)).isDirectory()) {
        for await (const file of walk(path, { files: 0, ignored: 0 })) await add(file);
      } else await add(path);
    } catch {
      // Missing: the CLI reports it.
    }
  }
  return total;
}
