/**
 * Data files (the managed-policy snapshot, AWS's IP ranges) read from disk when first needed,
 * instead of bundled as object literals that every cold start compiles and evaluates (together
 * ~300 KB: docs/performance.md "Cold start").
 *
 * Where the file is: in the repository (tsx, replay, tests) beside the module that asks,
 * `new URL('./data/<name>', import.meta.url)`; in a Lambda package the bundle lives in
 * `functions/` (or `functions/chunks/`) and the package step puts each data file the bundle names
 * in `data/` at the zip's root (scripts/esbuild-plugins.cjs; the replay worker bundle is laid out the same way,
 * shared/pipeline/worker-bundle.ts). So the lookup tries `data/<name>` in the module's
 * folder and up to three folders above it, then `$LAMBDA_TASK_ROOT/data/<name>`.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The first existing `data/<name>` at or above the module's folder, else in the task root. */
export function dataFilePath(url: URL): string {
  const name = basename(fileURLToPath(url));
  const tried: string[] = [];
  // The module's own data folder first (its exact URL), then the packaged layout.
  const own = fileURLToPath(url);
  if (existsSync(own)) return own;
  tried.push(own);
  let dir = dirname(dirname(own));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'data', name);
    if (existsSync(candidate)) return candidate;
    tried.push(candidate);
    dir = dirname(dir);
  }
  const root = process.env['LAMBDA_TASK_ROOT'];
  if (root) {
    const candidate = join(root, 'data', name);
    if (existsSync(candidate)) return candidate;
    tried.push(candidate);
  }
  throw new Error(`data file ${name} not found (looked in ${tried.join(', ')})`);
}

/** The parsed JSON of a data file. */
export function readDataJson<T>(url: URL): T {
  return JSON.parse(readFileSync(dataFilePath(url), 'utf8')) as T;
}

/** The first `bytes` of a data file as text: a header field without parsing the whole file. */
export function readDataHead(url: URL, bytes: number): string {
  const fd = openSync(dataFilePath(url), 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const n = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
