// The cache of prebuilt esbuild bundles that `trailwatch` runs instead of compiling its TypeScript
// through tsx on every start: the CLI itself (shared/cli/trailwatch.mjs) and the replay worker
// threads (worker-bundle.ts builds them). Plain JavaScript, because the CLI's launcher must find its
// bundle before any TypeScript loader is registered; types in bundle-cache.d.mts.
//
// A bundle is keyed by a SHA-256 over everything it can be made of: every file under `shared/`,
// `package-lock.json` (the bundled dependencies), the esbuild and Node versions. The bundles of one
// key live in `node_modules/.cache/trailwatch/<key>/`, laid out as a Lambda package is
// (scripts/esbuild-plugins.cjs): bundles in `functions/`, the data files the code reads on first
// use in `data/`, where shared/data-file.ts looks. The folder is written whole under a temporary
// name and renamed, so a folder that exists is complete.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `<root>/node_modules/.cache/trailwatch/<key>/functions/<bundle>.mjs`: the part before `/node_modules`. */
const BUNDLED = /^(.*)[\\/]node_modules[\\/]\.cache[\\/]trailwatch[\\/][0-9a-f]+[\\/]functions[\\/][^\\/]+$/;

/**
 * The project (or installed package) root, for a module at `shared/<area>/<file>` or for the same
 * module inside a cached bundle (whose own URL is under the root's `node_modules/.cache/`).
 */
export function projectRoot(moduleUrl) {
  const file = fileURLToPath(moduleUrl);
  const bundled = BUNDLED.exec(file);
  return bundled ? bundled[1] : join(dirname(file), '..', '..');
}

/** Where the bundles of every key live. */
export function cacheDir(root) {
  return join(root, 'node_modules', '.cache', 'trailwatch');
}

/** The file of bundle `name` (`replay-worker`, `trailwatch-cli`) for `key`. */
export function bundleFile(root, key, name) {
  return join(cacheDir(root), key, 'functions', `${name}-${key}.mjs`);
}

async function listFiles(dir, out) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await listFiles(path, out);
    else if (e.isFile()) out.push(path);
  }
}

/** The content hash of everything the bundles are built from (see the module comment). */
export async function bundleKey(root, esbuildVersion) {
  const files = [];
  await listFiles(join(root, 'shared'), files);
  files.sort();
  const hash = createHash('sha256');
  hash.update(`esbuild ${esbuildVersion}\0node ${process.version}\0`);
  for (const file of files) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(await readFile(file));
    hash.update('\0');
  }
  try {
    hash.update(await readFile(join(root, 'package-lock.json')));
  } catch {
    // An installed package may ship no lock file: its node_modules are what they are.
  }
  return hash.digest('hex').slice(0, 24);
}

/** esbuild's version, from its package.json: a warm cache never loads esbuild's JavaScript API. */
export async function esbuildVersion(root) {
  const path = createRequire(join(root, 'package.json')).resolve('esbuild/package.json');
  return JSON.parse(await readFile(path, 'utf8')).version;
}

/** False when bundles are switched off (`TRAILWATCH_BUNDLE=0`; `TRAILWATCH_WORKER_BUNDLE=0` for the workers alone). */
export function bundlesWanted(name) {
  if (process.env['TRAILWATCH_BUNDLE'] === '0') return false;
  return !(name === 'replay-worker' && process.env['TRAILWATCH_WORKER_BUNDLE'] === '0');
}

/** The URL of bundle `name` for the current sources if it is in the cache; undefined otherwise (or on any error). */
export async function cachedBundle(root, name) {
  if (!bundlesWanted(name)) return undefined;
  try {
    const file = bundleFile(root, await bundleKey(root, await esbuildVersion(root)), name);
    return (await stat(file)).isFile() ? pathToFileURL(file) : undefined;
  } catch {
    return undefined;
  }
}
