import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { recordsOfLine, recordsOfText } from './json.ts';
import type { InputRecord, InputStats } from './types.ts';

/** File names a directory walk reads; anything else in a directory (README.md…) is ignored. */
const EVENT_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const JSON_LINES = /\.(jsonl|ndjson)(\.gz)?$/i;
/** Largest whole-document file read into memory (JSON Lines stream line by line, without limit). */
export const MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;

function fileStream(path: string): Readable {
  const raw = createReadStream(path);
  if (!/\.gz$/i.test(path)) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

/** The file's text; on a read or gzip error mid-way, the text read so far and the error (a truncated `.gz` keeps its readable records). */
async function readAll(stream: Readable, limit: number): Promise<{ text: string; error?: NodeJS.ErrnoException }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        stream.destroy();
        throw new Error(`larger than ${limit} bytes; split it or convert it to JSON Lines`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    return { text: Buffer.concat(chunks).toString('utf8'), error: error as NodeJS.ErrnoException };
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

function readError(e: NodeJS.ErrnoException): string {
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) return `truncated gzip: ${e.message}`;
  if (e.code === 'Z_DATA_ERROR') return `corrupt gzip: ${e.message}`;
  return `unreadable file: ${e.message}`;
}

/**
 * Records of one file: `.jsonl`/`.ndjson` (optionally `.gz`) are streamed line by line; any other
 * file (`.json`, `.json.gz`, CloudTrail's `*.json.gz`, or a file given by name) is decompressed
 * as a stream and parsed as one document, falling back to JSON Lines. Unreadable files (missing,
 * corrupt gzip, too large) become a skip marked `unreadable`; a truncated gzip first gives the
 * records decompressed before the cut. The run goes on.
 */
export async function* readFile(path: string): AsyncGenerator<InputRecord> {
  try {
    if (JSON_LINES.test(path)) {
      const lines = createInterface({ input: fileStream(path), crlfDelay: Number.POSITIVE_INFINITY });
      let n = 0;
      for await (const line of lines) yield* recordsOfLine(line, path, ++n);
      return;
    }
    const { text, error } = await readAll(fileStream(path), MAX_DOCUMENT_BYTES);
    // A truncated gzip still gives its first records: read what was decompressed, then name the loss.
    if (!error || text.trim() !== '') yield* recordsOfText(text, path);
    if (error) yield { kind: 'skip', skip: { reason: readError(error), origin: path }, unreadable: 'file' };
  } catch (error) {
    yield { kind: 'skip', skip: { reason: readError(error as NodeJS.ErrnoException), origin: path }, unreadable: 'file' };
  }
}

/** Event files under a directory, recursively, in a stable (sorted) order; hidden entries and node_modules skipped. */
export async function* walk(dir: string, stats: InputStats): AsyncGenerator<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full, stats);
    else if (entry.isFile() && EVENT_FILE.test(entry.name)) yield full;
    else stats.ignored++;
  }
}

/** The delivery time CloudTrail puts in its log file names: `…_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz`. */
const CLOUDTRAIL_NAME = /_CloudTrail_[^_/\\]+_(\d{8}T\d{4}Z)_[^/\\]*$/;

/**
 * A directory's files in the order replay should read them. An S3 CloudTrail tree is laid out
 * account / region / day, so walking it in name order would read one account's whole week before
 * the next: when every file carries CloudTrail's delivery time in its name, they are read by that
 * time (then path), which keeps the stream roughly time-ordered for the rate detector's bounded
 * reorder window. Any other directory keeps its sorted walk order.
 */
export function inDeliveryOrder(files: readonly string[]): string[] {
  const stamped = files.map((f) => ({ f, t: CLOUDTRAIL_NAME.exec(f)?.[1] }));
  if (stamped.length < 2 || stamped.some((x) => x.t === undefined)) return [...files];
  return stamped.sort((a, b) => (a.t as string).localeCompare(b.t as string) || a.f.localeCompare(b.f)).map((x) => x.f);
}

/** One step of reading the given paths: a file to read, or a skip (a path or folder with nothing to read). */
export type PathPlanItem = { kind: 'file'; path: string } | Extract<InputRecord, { kind: 'skip' }>;

/**
 * The files `readPaths` would read, in the same order (directories walked, CloudTrail files in
 * delivery order), with its skips for paths that cannot be read and folders without event files;
 * `stats` is counted the same way.
 */
export async function* planPaths(paths: readonly string[], stats: InputStats = { files: 0, ignored: 0 }, log: Log = silentLog): AsyncGenerator<PathPlanItem> {
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (error) {
      yield { kind: 'skip', skip: { reason: `cannot read path: ${(error as Error).message}`, origin: path }, unreadable: 'file' };
      continue;
    }
    if (!isDir) {
      stats.files++;
      log.debug('reading file', { file: path });
      yield { kind: 'file', path };
      continue;
    }
    const ignoredBefore = stats.ignored;
    const files: string[] = [];
    for await (const file of walk(path, stats)) files.push(file);
    for (const file of inDeliveryOrder(files)) {
      stats.files++;
      log.debug('reading file', { file });
      yield { kind: 'file', path: file };
    }
    if (files.length === 0) {
      const ignored = stats.ignored - ignoredBefore;
      const reason = `folder holds no event files (.json, .jsonl, .ndjson, optionally .gz)${ignored > 0 ? `; ${ignored} other file(s) ignored` : ''}`;
      yield { kind: 'skip', skip: { reason, origin: path }, unreadable: 'file' };
    }
  }
}


/**
 * Every record from the given paths (files or directories), in path order. A path that does not
 * exist is a skip with its reason (the CLI checks paths up front to report usage errors).
 */
export async function* readPaths(paths: readonly string[], stats: InputStats = { files: 0, ignored: 0 }, log: Log = silentLog): AsyncGenerator<InputRecord> {
  for await (const item of planPaths(paths, stats, log)) {
    if (item.kind === 'file') yield* readFile(item.path);
    else yield item;
  }
}

