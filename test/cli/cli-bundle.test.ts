import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFile, bundleKey, cachedBundle, esbuildVersion, projectRoot } from '../../shared/pipeline/bundle-cache.mjs';
import { bundleEntry } from '../../shared/pipeline/worker-bundle.ts';
import { EVENTS_DIR, ROOT } from '../helpers/events.ts';
import { run } from '../helpers/run.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI through its launcher (test/helpers/run.ts); `NODE_DEBUG=esm` makes Node name every module it loads on stderr. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const r = await run(process.execPath, [join(ROOT, 'shared', 'cli', 'trailwatch.mjs'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The module URLs a run loaded (from NODE_DEBUG=esm's lines), and its stderr without them. */
function split(run: Run): { loaded: Set<string>; stderr: string } {
  const debug = /^ESM \d+: /;
  const lines = run.stderr.split('\n');
  const loaded = new Set(lines.filter((l) => debug.test(l)).flatMap((l) => l.match(/file:\/\/[^\s'"]+/g) ?? []));
  return { loaded, stderr: lines.filter((l) => !debug.test(l)).join('\n') };
}

const work = mkdtempSync(join(tmpdir(), 'trailwatch-cli-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the CLI runs from its cached bundle, with the same answers as the TypeScript sources', () => {
  it('the launcher loads the bundle of the current sources and neither tsx nor main.ts', async () => {
    // Built (or found) the way the launcher's first run builds it.
    const entry = await bundleEntry('trailwatch-cli');
    expect(entry.bundled).toBe(true);
    const key = await bundleKey(ROOT, await esbuildVersion(ROOT));
    expect(fileURLToPath(entry.url)).toBe(bundleFile(ROOT, key, 'trailwatch-cli'));
    expect((await cachedBundle(ROOT, 'trailwatch-cli'))?.href).toBe(entry.url.href);

    const run = await cli(['--version'], { NODE_DEBUG: 'esm' });
    const { loaded } = split(run);
    expect(run.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run.stdout).toBe(`trailwatch ${pkg.version}\n`);
    expect(loaded.has(entry.url.href)).toBe(true);
    expect([...loaded].filter((u) => u.includes('/node_modules/tsx/') || u.endsWith('/shared/cli/main.ts'))).toEqual([]);

    const sources = await cli(['--version'], { NODE_DEBUG: 'esm', TRAILWATCH_BUNDLE: '0' });
    expect(sources.stdout).toBe(run.stdout);
    expect(split(sources).loaded.has(pathToFileURL(join(ROOT, 'shared', 'cli', 'main.ts')).href)).toBe(true);
  }, 180_000);

  it('replay of every sample: the same findings, summary and exit code from the bundle as from the sources', async () => {
    const args = ['replay', EVENTS_DIR, '--format', 'json'];
    const [bundled, sources] = await Promise.all([cli(args), cli(args, { TRAILWATCH_BUNDLE: '0' })]);
    expect(bundled.code).toBe(0);
    expect(bundled.stdout.split('\n').length).toBeGreaterThan(100);
    expect(bundled.stdout).toBe(sources.stdout);
    expect(bundled.stderr).toBe(sources.stderr);
  }, 180_000);

  it('bad input: the same exit code 3 and the same counted skips from the bundle as from the sources', async () => {
    const good = readFileSync(join(EVENTS_DIR, 'root-signin', 'positive-success-mfa.json'), 'utf8');
    writeFileSync(join(work, 'broken.json.gz'), gzipSync('{"Records": [')); // truncated
    writeFileSync(join(work, 'mixed.jsonl'), `${JSON.stringify(JSON.parse(good))}\nnot json\n{"eventName": 1}\n`);
    const args = ['replay', work, '--format', 'json'];
    const [bundled, sources] = await Promise.all([cli(args), cli(args, { TRAILWATCH_BUNDLE: '0' })]);
    expect(bundled.code).toBe(3);
    expect(bundled.stderr).toMatch(/skipped/);
    expect(bundled.stdout).toBe(sources.stdout);
    expect(bundled.stderr).toBe(sources.stderr);
    expect(bundled.code).toBe(sources.code);
  }, 180_000);

  it('finds the project root from a source module and from a module inside a cached bundle', () => {
    expect(projectRoot(pathToFileURL(join(ROOT, 'shared', 'cli', 'main.ts')))).toBe(ROOT);
    const inBundle = pathToFileURL(join(ROOT, 'node_modules', '.cache', 'trailwatch', '0123abcd', 'functions', 'trailwatch-cli-0123abcd.mjs'));
    expect(projectRoot(inBundle)).toBe(ROOT);
  });
});
