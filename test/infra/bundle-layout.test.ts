import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detections as registry } from '../../shared/detections/index.ts';
import { CHECK_STAMP_SUFFIX, tuningCheckStamp } from '../../shared/tuning/deployed.ts';
import { ensurePackaged, PACKAGE_DIR } from '../helpers/packaged.ts';

/**
 * What docs/architecture.md ("Bundling") says about the packaged zips: a handler file one function
 * uses (detect) is split (scripts/esbuild-plugins.cjs) so that code reached only through a dynamic
 * import() is in chunks the entry does not import statically — a cold start never reads them — and
 * a file several functions share (notify; rates with mfaSweep) stays one file. Chunks are in their
 * own function's zip only.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'tw-layout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function unzip(fn: string): string {
  const dir = join(work, fn);
  const out = spawnSync('python3', ['-m', 'zipfile', '-e', join(PACKAGE_DIR, `${fn}.zip`), dir], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return dir;
}

/** Files the entry loads before its first line runs: the closure of its static `import … from "./…"`. */
function staticClosure(dir: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.\/[^"']+)["']/g)) {
      const target = join(file, '..', m[1] as string);
      visit(target);
    }
  };
  visit(entry);
  return seen;
}

describe('packaged bundles: what a cold start reads', () => {
  const dirs: Record<string, string> = {};
  beforeAll(() => {
    ensurePackaged();
    for (const fn of ['detect', 'rates', 'notify']) dirs[fn] = unzip(fn);
  }, 300_000);

  it('detect: no AWS SDK client is imported statically (the alerting path signs its own HTTP calls); the IAM and SDK clients are in chunks behind import()', () => {
    const dir = dirs['detect'] as string;
    const chunks = readdirSync(join(dir, 'functions', 'chunks')).filter((f) => f.endsWith('.mjs'));
    expect(chunks.length).toBeGreaterThan(3);
    const loaded = staticClosure(dir, join('functions', 'detect.mjs'));
    expect(loaded.size).toBeGreaterThan(3); // the entry imports its shared chunks statically
    const holding = (needle: string) => ['functions/detect.mjs', ...chunks.map((c) => join('functions', 'chunks', c))].filter((f) => readFileSync(join(dir, f), 'utf8').includes(needle));
    const iam = holding('com.amazonaws.iam#');
    expect(iam.length).toBeGreaterThan(0);
    for (const f of iam) expect(loaded.has(f), f).toBe(false);
    // The SDK's SNS, EventBridge, CloudWatch and DynamoDB clients are still bundled (the seam's
    // adapter for SDK clients, shared/sinks/transport/apis.ts) but never read at start.
    for (const service of ['sns', 'eventbridge', 'cloudwatch', 'dynamodb']) {
      const holders = holding(`com.amazonaws.${service}#`);
      expect(holders.length, service).toBeGreaterThan(0);
      for (const f of holders) expect(loaded.has(f), `${service}: ${f}`).toBe(false);
    }
    // The signed-HTTP transport is what the start loads instead.
    expect([...loaded].some((f) => readFileSync(join(dir, f), 'utf8').includes('GraniteServiceVersion20100801'))).toBe(true);
  });

  it('detect: no detection and not the policy engine is imported statically; each detection is in a chunk of its own that the catalog imports when an event is routed to it', () => {
    const dir = dirs['detect'] as string;
    const loaded = staticClosure(dir, join('functions', 'detect.mjs'));
    const chunks = readdirSync(join(dir, 'functions', 'chunks')).filter((f) => f.endsWith('.mjs')).map((c) => join('functions', 'chunks', c));
    const text = new Map(['functions/detect.mjs', ...chunks].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    const holding = (needle: string) => [...text].filter(([, t]) => t.includes(needle)).map(([f]) => f);
    // A detection's runbook (prose only it has) is in one chunk, outside what the entry loads.
    const plain = registry.filter((d) => !/["'`\\]/.test(d.runbook));
    expect(plain.length).toBeGreaterThan(registry.length / 2);
    const homes = new Set<string>();
    for (const d of plain) {
      const files = holding(d.runbook);
      expect(files, d.id).toHaveLength(1);
      expect(loaded.has(files[0] as string), `${d.id}: ${files[0]}`).toBe(false);
      homes.add(files[0] as string);
    }
    expect(homes.size).toBe(plain.length);
    // The policy engine (its managed-policy snapshot reader) is bundled, and not loaded at start.
    const engine = holding('managed-policy-analysis.json');
    expect(engine.length).toBeGreaterThan(0);
    for (const f of engine) expect(loaded.has(f), f).toBe(false);
    // Nor the tuning schema validator: the package stamp vouches for the schema (shared/tuning/deployed.ts
    // imports it only without a matching stamp; test/tuning/deployed.test.ts proves the import is skipped).
    const validator = holding('trailwatch.dev/schema/tuning-v1.json');
    expect(validator.length).toBeGreaterThan(0);
    for (const f of validator) expect(loaded.has(f), f).toBe(false);
  });

  it('every zip carries the tuning JSON and the stamp of the check the package step ran on it', () => {
    for (const fn of ['detect', 'rates', 'notify']) {
      const json = readFileSync(join(dirs[fn] as string, 'trailwatch.config.json'), 'utf8');
      expect(readFileSync(join(dirs[fn] as string, `trailwatch.config.json${CHECK_STAMP_SUFFIX}`), 'utf8'), fn).toBe(tuningCheckStamp(json));
    }
  });

  it('each zip carries exactly the data files its code reads on first use (shared/data-file.ts), byte for byte, and no other', () => {
    const sources = { 'managed-policy-analysis.json': 'shared/policy/data/managed-policy-analysis.json', 'aws-ip-ranges.json': 'shared/detections/data/aws-ip-ranges.json', 'ip-country.json': 'shared/baseline/data/ip-country.json' } as const;
    const expected: Record<string, string[]> = { detect: ['aws-ip-ranges.json', 'managed-policy-analysis.json'], rates: ['ip-country.json'], mfaSweep: ['ip-country.json'], notify: [], notifyFlush: [], notifyRedrive: [], heartbeat: [], heartbeatCheck: [], directory: [] };
    const js = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? js(join(dir, e.name)) : e.name.endsWith('.mjs') ? [join(dir, e.name)] : []));
    for (const [fn, names] of Object.entries(expected)) {
      const dir = dirs[fn] ?? unzip(fn);
      const shipped = existsSync(join(dir, 'data')) ? readdirSync(join(dir, 'data')).sort() : [];
      expect(shipped, fn).toEqual(names);
      // What the package step decided from (a reader's `new URL('./data/<name>', import.meta.url)`), so a new reader cannot go without its file.
      const code = js(join(dir, 'functions')).map((f) => readFileSync(f, 'utf8'));
      expect(Object.keys(sources).filter((name) => code.some((t) => t.includes(`/data/${name}`))).sort(), fn).toEqual(names);
      for (const name of names) expect(readFileSync(join(dir, 'data', name), 'utf8'), `${fn}: ${name}`).toBe(readFileSync(join(ROOT, sources[name as keyof typeof sources]), 'utf8'));
    }
    // Not bundled as well: an entry of each snapshot (its first policy, its first CIDR) is in no module of detect.
    const dir = dirs['detect'] as string;
    const modules = ['functions/detect.mjs', ...readdirSync(join(dir, 'functions', 'chunks')).filter((f) => f.endsWith('.mjs')).map((c) => join('functions', 'chunks', c))];
    const policies = JSON.parse(readFileSync(join(ROOT, 'shared/policy/data/managed-policy-analysis.json'), 'utf8')) as { policies: Record<string, unknown> };
    const ranges = JSON.parse(readFileSync(join(ROOT, 'shared/detections/data/aws-ip-ranges.json'), 'utf8')) as { ipv4: string[] };
    const needles = [Object.keys(policies.policies)[0] as string, `"${ranges.ipv4[0] as string}"`];
    for (const f of modules) for (const needle of needles) expect(readFileSync(join(dir, f), 'utf8').includes(needle), `${f}: ${needle}`).toBe(false);
  });

  it('chunks ship only in the zip of the function they were built for; shared handler files are one file', () => {
    for (const fn of ['notify', 'rates']) {
      const files = readdirSync(join(dirs[fn] as string, 'functions')).sort();
      expect(files, fn).toEqual([`${fn}.mjs`, `${fn}.mjs.map`]);
    }
    const ratesEntry = readFileSync(join(dirs['rates'] as string, 'functions', 'rates.mjs'), 'utf8');
    expect(ratesEntry.includes('com.amazonaws.iam#')).toBe(false);
  });
});
