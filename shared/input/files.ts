import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
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

async function readAll(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`larger than ${limit} bytes; split it or convert it to JSON Lines`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Records of one file: `.jsonl`/`.ndjson` (optionally `.gz`) are streamed line by line; any other
 * file (`.json`, `.json.gz`, CloudTrail's `*.json.gz`, or a file given by name) is decompressed
 * as a stream and parsed as one document, falling back to JSON Lines. Unreadable files (missing,
 * corrupt gzip, too large) become a skip; the run goes on.
 */
export async function* readFile(path: string): AsyncGenerator<InputRecord> {
  try {
    if (JSON_LINES.test(path)) {
      const lines = createInterface({ input: fileStream(path), crlfDelay: Number.POSITIVE_INFINITY });
      let n = 0;
      for await (const line of lines) yield* recordsOfLine(line, path, ++n);
      return;
    }
    const text = await readAll(fileStream(path), MAX_DOCUMENT_BYTES);
    yield* recordsOfText(text, path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason = e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' ? `corrupt gzip: ${e.message}` : `unreadable file: ${e.message}`;
    yield { kind: 'skip', skip: { reason, origin: path } };
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

/**
 * Every record from the given paths (files or directories), in path order. A path that does not
 * exist is a skip with its reason (the CLI checks paths up front to report usage errors).
 */
export async function* readPaths(paths: readonly string[], stats: InputStats = { files: 0, ignored: 0 }): AsyncGenerator<InputRecord> {
  for (const path of paths) {
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (error) {
      yield { kind: 'skip', skip: { reason: `cannot read path: ${(error as Error).message}`, origin: path } };
      continue;
    }
    if (isDir) {
      for await (const file of walk(path, stats)) {
        stats.files++;
        yield* readFile(file);
      }
    } else {
      stats.files++;
      yield* readFile(path);
    }
  }
}

