/**
 * Cold starts and bundle sizes of the Lambda functions (`npm run bench`, or alone:
 * `npm run bench -- cold-start [--runs N] [--json] [--only detect,floor] [--no-unbundled]`; pairwise
 * against another checkout's package: `--against DIR`; `--help`).
 *
 * It runs `serverless package --stage ci` first (skip with `--no-package`), unzips each function's
 * zip into an empty folder outside the repository — exactly what Lambda gets: the entry bundle, its
 * chunks, the tuning JSON — and starts it in a fresh Node process per run, which imports the entry
 * and — for detect — handles one
 * routed event (the named rule's target input) against a local AWS stub that answers each API in its own protocol (SNS query/XML,
 * EventBridge JSON 1.1, CloudWatch and DynamoDB JSON 1.0). Two detect events:
 *  - `alerting`: a root console sign-in — a critical finding published to SNS and the findings bus,
 *    routed through the novelty table (DynamoDB) and counted in CloudWatch: the path that matters;
 *  - `quiet`: an IAM-user sign-in no detection fires on — CloudWatch metrics only.
 * The stub's call log is checked after every run, so a path that silently failed is never timed.
 * The other functions are timed importing only, as their handlers need SQS/DynamoDB fixtures.
 * Figures: median of N runs, milliseconds from process start (performance.timeOrigin) to the
 * handler's return, and the CPU time (user + system) of those runs, which machine load disturbs
 * far less than wall time. `unbundled` is the same handler from TypeScript via tsx with node_modules.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { NAMED_ROUTE } from '../shared/pipeline/event-rules.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ACCOUNT = '111122223333';

/** The issue-15 targets, printed beside the measurements. */
export const TARGETS = { detectColdStartMs: 70, detectBundleBytes: 300 * 1024 };

interface FunctionSpec {
  name: string;
  file: string;
  exportName: string;
}

/**
 * Reference rows measured the same way in the same run: a handler importing nothing (Node's own
 * start, the floor no bundle goes below), the AWS SDK alone doing detect's four calls, and the
 * signed-HTTP transport (shared/sinks/transport) alone doing them.
 */
const REFERENCES: FunctionSpec[] = [
  { name: 'floor: empty', file: 'scripts/cold-start/empty.ts', exportName: 'handler' },
  { name: 'floor: SDK only', file: 'scripts/cold-start/sdk-floor.ts', exportName: 'handler' },
  { name: 'floor: HTTP only', file: 'scripts/cold-start/http-floor.ts', exportName: 'handler' },
];

function functionsFromServerlessYml(): FunctionSpec[] {
  const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const specs: FunctionSpec[] = [];
  const re = /^ {2}([A-Za-z0-9]+):\n(?: {4}.*\n)*? {4}handler: ([\w/.-]+)\.(\w+)/gm;
  for (const m of yml.matchAll(re)) specs.push({ name: m[1] as string, file: `${m[2]}.ts`, exportName: m[3] as string });
  return specs.filter((s) => existsSync(join(ROOT, s.file)));
}

const BANNER = "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);";

export interface BundleFacts {
  path: string;
  /** The entry file Lambda imports. */
  entryBytes: number;
  /** Every JavaScript file of the bundle (equal to the entry while the bundle is one file). */
  totalBytes: number;
  /** The entry plus every chunk it imports statically: what Node reads before the handler runs. */
  staticBytes: number;
  /** Largest packages / source folders in the code (one-file esbuild build with the same options), KB. */
  top: Array<[string, number]>;
}

/** Bundles one handler with serverless.yml's esbuild options; reports the entry and total size and what fills it. */
async function bundle(spec: FunctionSpec, outDir: string): Promise<BundleFacts> {
  const outdir = join(outDir, spec.name.replace(/[^A-Za-z0-9-]/g, '-'));
  const result = await build({
    entryPoints: [join(ROOT, spec.file)],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    outdir,
    outExtension: { '.js': '.mjs' },
    banner: { js: BANNER },
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    metafile: true,
    // As the package step splits a one-function handler: code behind import() in chunks of its own.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  });
  return facts(result.metafile, outdir, spec.file);
}

/** What `serverless package` put in the function's zip: the entry and every chunk beside it. */
function packaged(spec: FunctionSpec, work: string, top: BundleFacts['top'], zip = join(ROOT, '.serverless', `${spec.name}.zip`), folder = `zip-${spec.name}`): BundleFacts & { root: string } {
  const root = join(work, folder);
  const out = spawnSync('python3', ['-m', 'zipfile', '-e', zip, root], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`could not unzip ${spec.name}.zip: ${out.stderr}`);
  const entry = join(root, spec.file.replace(/\.ts$/, '.mjs'));
  const js = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? js(join(dir, e.name)) : e.name.endsWith('.mjs') ? [join(dir, e.name)] : []));
  return { root, path: entry, entryBytes: statSync(entry).size, totalBytes: js(join(root, 'functions')).reduce((n, f) => n + statSync(f).size, 0), staticBytes: staticBytes(entry), top };
}

/** Bytes of `entry` and the closure of its static `import … from "./…"` (chunks behind import() excluded). */
function staticBytes(entry: string): number {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.\/[^"']+)["']/g)) visit(join(dirname(file), m[1] as string));
  };
  visit(entry);
  return [...seen].reduce((n, f) => n + statSync(f).size, 0);
}

function facts(meta: Metafile, outdir: string, file: string): BundleFacts {
  const outputs = Object.entries(meta.outputs).filter(([f]) => f.endsWith('.mjs'));
  const entry = outputs.find(([, o]) => o.entryPoint === file);
  if (!entry) throw new Error('esbuild produced no entry');
  const groups = new Map<string, number>();
  for (const [, o] of outputs)
    for (const [input, v] of Object.entries(o.inputs)) {
      const key = input.startsWith('node_modules/') ? input.replace(/^node_modules\/((@[^/]+\/)?[^/]+).*/, '$1') : input.includes('/data/') ? input : input.split('/').slice(0, 2).join('/');
      groups.set(key, (groups.get(key) ?? 0) + v.bytesInOutput);
    }
  const top = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, b]): [string, number] => [k, Math.round(b / 1024)]);
  const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
  const byPath = new Map(outputs);
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const i of byPath.get(f)?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry[0]);
  const staticTotal = [...seen].reduce((n, f) => n + (byPath.get(f)?.bytes ?? 0), 0);
  return { path: join(outdir, entry[0].split('/').pop() as string), entryBytes: entry[1].bytes, totalBytes: total, staticBytes: staticTotal, top };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Local stand-in for the AWS APIs the handlers call, each answered in its own protocol; logs every call. */
async function stubEndpoint(): Promise<{ url: string; calls: string[]; close: () => void }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target === 'AWSEvents.PutEvents') {
        calls.push('PutEvents');
        const n = (JSON.parse(body) as { Entries: unknown[] }).Entries.length;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: Array.from({ length: n }, (_, i) => ({ EventId: `ev-${i}` })) }));
        return;
      }
      if (target) {
        // DynamoDB_20120810.UpdateItem (novelty: no previous item), GraniteServiceVersion20100801.PutMetricData.
        calls.push(target.split('.').pop() as string);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
        return;
      }
      const form = new URLSearchParams(body);
      const action = form.get('Action') ?? `${req.method} ${req.url}`;
      calls.push(action);
      if (action === 'PublishBatch') {
        const ids = [...form.keys()].filter((k) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(k)).map((k) => form.get(k) ?? '');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${ids.map((id) => `<member><Id>${id}</Id><MessageId>m-${id}</MessageId></member>`).join('')}</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>`,
        );
        return;
      }
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>bench stub: ${action}</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, calls, close: () => server.close() };
}

export const COLD_EVENTS = {
  alerting: join(ROOT, 'events', 'root-signin', 'positive-success-mfa.json'),
  quiet: join(ROOT, 'events', 'root-signin', 'negative-iam-user-signin.json'),
} as const;

/**
 * One timed child: wall ms from process start to the handler's return, its CPU (user + system),
 * and that CPU split into Node's own start (before the first line of the child's script runs),
 * the import of the bundle (compile, module top level, static chunks) and the handler (first
 * invocation: initialisation, dynamic imports, the event, the AWS calls).
 */
export interface ColdRun {
  ms: number;
  cpuMs: number;
  split: { boot: number; import: number; handler: number };
  result: unknown;
}

/**
 * The event goes in as EventBridge delivers it to detect: wrapped by the named rule's target input
 * with its route (shared/pipeline/event-rules.ts `inputTemplate`), so detect imports the detections
 * routed to that (eventSource, eventName) only — as in production — not every one (a bare event).
 * ms from process start to the handler's return (or to the end of the import), measured inside
 * the child; with the handler's result. Async spawn: the stub endpoint lives in this process.
 */
function coldStart(moduleUrl: string, exportName: string, eventFile: string | undefined, env: Record<string, string>, cwd: string, viaTsx: boolean, preload?: string): Promise<ColdRun> {
  const script = `
    const boot = process.cpuUsage();
    import { readFileSync } from 'node:fs';
    const t0 = performance.timeOrigin;
    const mod = await import(${JSON.stringify(moduleUrl)});
    const imported = process.cpuUsage();
    const fn = mod[${JSON.stringify(exportName)}];
    if (typeof fn !== 'function') throw new Error('no handler export');
    const result = ${eventFile ? `await fn({ trailwatch: { route: ${JSON.stringify(NAMED_ROUTE)} }, event: JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8')) }, { awsRequestId: 'bench', functionName: 'bench' })` : 'null'};
    const ms = performance.timeOrigin + performance.now() - t0;
    const cpu = process.cpuUsage();
    const cpuMs = (u) => (u.user + u.system) / 1000;
    process.stdout.write(JSON.stringify({ ms, cpuMs: cpuMs(cpu), split: { boot: cpuMs(boot), import: cpuMs(imported) - cpuMs(boot), handler: cpuMs(cpu) - cpuMs(imported) }, result }));
    process.exit(0);
  `;
  const nodeArgs = [...(viaTsx ? ['--import', 'tsx'] : []), ...(preload ? ['--import', pathToFileURL(preload).href] : []), '--input-type=module', '-e', script];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as ColdRun);
      else reject(new Error(`cold start child failed (${code}): ${err.slice(0, 800)}`));
    });
  });
}

export interface ColdStartRow {
  function: string;
  measured: string;
  entryBytes: number;
  totalBytes: number;
  staticBytes: number;
  /**
   * Bytes of the package's files the cold start actually loaded or read, from the entry to the
   * handler's return: every module file (entry, chunks imported statically or with import()) and
   * every data file read (shared/data-file.ts). Recorded in an extra, untimed run.
   */
  readBytes: number;
  zipBytes: number | null;
  coldStartBundledMs: number;
  /** CPU time (user + system) of the same bundled runs: steadier than wall time on a loaded machine. */
  coldStartBundledCpuMs: number;
  /** The same runs' CPU split (median of each part): Node's start, the import, the handler. */
  coldStartBundledCpuSplit: ColdRun['split'];
  coldStartUnbundledTsxMs: number;
  runs: number;
  top: Array<[string, number]>;
  target?: { coldStartMs: number; bundleBytes: number };
}

/**
 * The environment of every timed child: AWS calls go to the local stub, the function root is
 * `taskRoot` (the packaged tuning JSON written there for the reference rows), logs at ERROR.
 */
async function benchEnv(work: string, taskRoot: string, stubUrl: string): Promise<Record<string, string>> {
  mkdirSync(taskRoot, { recursive: true });
  const { convertTuning } = await import('./tuning-json.ts');
  const tuning = convertTuning(join(ROOT, 'trailwatch.config.yaml'), join(taskRoot, 'trailwatch.config.json'));
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL: stubUrl,
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    // Node 20 here: the SDK's "Node 20 support ends" warning would be printed (and timed) on every start.
    NODE_NO_WARNINGS: '1',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    LAMBDA_TASK_ROOT: taskRoot,
    TRAILWATCH_STAGE: 'bench',
    TRAILWATCH_STACK_NAME: 'trailwatch-bench',
    TRAILWATCH_ALERTS_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:trailwatch-bench-alerts`,
    TRAILWATCH_FINDINGS_BUS_NAME: 'trailwatch-bench-findings',
    TRAILWATCH_METRICS_NAMESPACE: 'Trailwatch',
    TRAILWATCH_NOVELTY_TABLE: 'trailwatch-bench-novelty',
    ...(tuning ? { TRAILWATCH_TUNING_FILE: 'trailwatch.config.json' } : {}),
  };
}

/** Every function's bundle and cold start; detect twice (alerting and quiet event). */
export async function benchColdStarts(options: { runs?: number; work: string; log?: (s: string) => void; packageFirst?: boolean; only?: readonly string[]; unbundled?: boolean }): Promise<ColdStartRow[]> {
  const runs = Math.max(options.runs ?? 7, 1);
  const log = options.log ?? (() => undefined);
  if (options.packageFirst !== false) {
    log('  serverless package --stage ci…');
    const pkg = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--stage', 'ci'], { cwd: ROOT, encoding: 'utf8' });
    if (pkg.status !== 0) throw new Error(`serverless package failed: ${pkg.stderr}`);
  }
  // The function root as packaged: the tuning JSON beside the bundles (scripts/tuning-json.ts).
  const taskRoot = join(options.work, 'task');
  const stub = await stubEndpoint();
  const env = await benchEnv(options.work, taskRoot, stub.url);
  const rows: ColdStartRow[] = [];
  try {
    const built = new Map<string, BundleFacts>();
    for (const spec of [...functionsFromServerlessYml(), ...REFERENCES].filter((s) => !options.only || options.only.some((o) => s.name === o || s.name.startsWith(`${o}:`)))) {
      const reference = REFERENCES.includes(spec);
      const content = built.get(spec.file) ?? (await bundle(spec, options.work));
      built.set(spec.file, content);
      const zip = join(ROOT, '.serverless', `${spec.name}.zip`);
      // Functions run from their unzipped package; the references from the esbuild output.
      const b = reference ? { ...content, root: taskRoot } : packaged(spec, options.work, content.top);
      const cases: Array<[string, string | undefined]> =
        spec.name === 'detect' ? [['import + alerting event', COLD_EVENTS.alerting], ['import + quiet event', COLD_EVENTS.quiet]] : reference ? [['import + handler', COLD_EVENTS.alerting]] : [['import only', undefined]];
      for (const [measured, eventFile] of cases) {
        log(`  ${spec.name}: ${measured}…`);
        const bundled: number[] = [];
        const bundledCpu: number[] = [];
        const bundledRuns: ColdRun[] = [];
        const unbundled: number[] = [];
        for (let i = 0; i < runs; i++) {
          // Interleaved, so machine load hits both builds alike.
          for (const viaTsx of options.unbundled === false ? [false] : [false, true]) {
            stub.calls.length = 0;
            const url = pathToFileURL(viaTsx ? join(ROOT, spec.file) : b.path).href;
            const out = await coldStart(url, spec.exportName, eventFile, { ...env, LAMBDA_TASK_ROOT: viaTsx ? taskRoot : b.root }, viaTsx ? ROOT : b.root, viaTsx);
            if (!reference) checkPath(spec.name, eventFile, out.result, stub.calls);
            (viaTsx ? unbundled : bundled).push(out.ms);
            if (!viaTsx) bundledCpu.push(out.cpuMs);
            if (!viaTsx) bundledRuns.push(out);
          }
        }
        const read = await bytesRead(options.work, b.path, reference ? dirname(b.path) : b.root, spec.exportName, eventFile, env, reference ? taskRoot : b.root);
        rows.push({
          function: spec.name,
          measured,
          entryBytes: b.entryBytes,
          totalBytes: b.totalBytes,
          staticBytes: b.staticBytes,
          readBytes: read,
          zipBytes: !reference && existsSync(zip) ? statSync(zip).size : null,
          coldStartBundledMs: Math.round(median(bundled)),
          coldStartBundledCpuMs: Math.round(median(bundledCpu)),
          coldStartBundledCpuSplit: splitMedian(bundledRuns),
          coldStartUnbundledTsxMs: unbundled.length > 0 ? Math.round(median(unbundled)) : Number.NaN,
          runs,
          top: b.top,
          ...(spec.name === 'detect' ? { target: { coldStartMs: TARGETS.detectColdStartMs, bundleBytes: TARGETS.detectBundleBytes } } : {}),
        });
      }
    }
  } finally {
    stub.close();
  }
  return rows;
}

/**
 * One more cold start, untimed, with a preload that records every file the process loads as a
 * module (a loader hook) or opens with fs (data files); the sum of their sizes under the bundle's
 * folder (or the package root) is what this start read.
 */
async function bytesRead(work: string, entry: string, root: string, exportName: string, eventFile: string | undefined, env: Record<string, string>, taskRoot: string): Promise<number> {
  const hooks = join(work, 'read-hooks.mjs');
  const preload = join(work, 'read-preload.mjs');
  const log = join(work, `read-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(hooks, "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { if (url.startsWith('file:')) appendFileSync(process.env.TW_READ_LOG, 'module ' + url + '\\n'); return next(url, context); }\n");
  writeFileSync(
    preload,
    [
      "import fs from 'node:fs';",
      "import { register, syncBuiltinESMExports } from 'node:module';",
      "register(new URL('./read-hooks.mjs', import.meta.url));",
      'const log = process.env.TW_READ_LOG; let busy = false;',
      "for (const [name, kind] of [['readFileSync', 'file'], ['openSync', 'open']]) { const original = fs[name]; fs[name] = function (p, ...rest) { if (!busy && (typeof p === 'string' || p instanceof URL)) { busy = true; try { fs.appendFileSync(log, kind + ' ' + String(p) + '\\n'); } finally { busy = false; } } return original.call(this, p, ...rest); }; }",
      'syncBuiltinESMExports();',
    ].join('\n'),
  );
  await coldStart(pathToFileURL(entry).href, exportName, eventFile, { ...env, LAMBDA_TASK_ROOT: taskRoot, TW_READ_LOG: log }, root, false, preload);
  // A file read whole counts its size; one only opened (a header read: shared/data-file.ts readDataHead) one 4 KB page at most.
  const files = new Map<string, number>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [kind, ...rest] = line.split(' ');
    const ref = rest.join(' ');
    if (!ref) continue;
    const path = ref.startsWith('file:') ? fileURLToPath(ref) : ref;
    if (!(path.startsWith(root) || path.startsWith(taskRoot)) || !existsSync(path)) continue;
    const size = statSync(path).size;
    files.set(path, Math.max(files.get(path) ?? 0, kind === 'open' ? Math.min(size, 4096) : size));
  }
  if (process.env['TRAILWATCH_BENCH_READ_LIST']) for (const [f, n] of files) process.stderr.write(`    read ${(n / 1024).toFixed(1)} KB ${f.slice(root.length)}\n`);
  return [...files.values()].reduce((a, b) => a + b, 0);
}

/** A timed run must have done the work it stands for: the alerting event published, the quiet one did not. */
function checkPath(fn: string, eventFile: string | undefined, result: unknown, calls: readonly string[]): void {
  if (!eventFile) return;
  const findings = (result as { findings?: number } | null)?.findings;
  const published = calls.includes('PublishBatch') && calls.includes('PutEvents');
  const ok = eventFile === COLD_EVENTS.alerting ? findings !== undefined && findings > 0 && published && calls.includes('UpdateItem') : findings === 0 && !published;
  if (!ok || !calls.includes('PutMetricData')) throw new Error(`${fn}: the timed run did not take the expected path (findings ${findings}, AWS calls ${calls.join(', ')})`);
}

export interface PairwiseRow {
  measured: string;
  pairs: number;
  /** Medians of this checkout's package (A) and the other one (B). */
  a: { wallMs: number; cpuMs: number; split: ColdRun['split'] };
  b: { wallMs: number; cpuMs: number; split: ColdRun['split'] };
  /** A/B taken pair by pair: median, min, max. */
  cpuRatio: [number, number, number];
  wallRatio: [number, number, number];
}

/**
 * detect's cold starts from this checkout's package (A) and another checkout's (B: its
 * `.serverless/detect.zip`, packaged there beforehand), alternated A B A B against the same stub,
 * with the ratio taken pair by pair: on a shared, loaded machine the ratio holds when the
 * milliseconds do not. `npm run bench -- cold-start --against ../main [--runs N]`.
 */
export async function benchColdStartPairs(options: { against: string; runs?: number; work: string; log?: (s: string) => void; packageFirst?: boolean }): Promise<PairwiseRow[]> {
  const runs = Math.max(options.runs ?? 9, 1);
  const log = options.log ?? (() => undefined);
  const other = join(options.against, '.serverless', 'detect.zip');
  if (!existsSync(other)) throw new Error(`${other} not found: run \`npm run package\` in ${options.against} first`);
  if (options.packageFirst !== false) {
    log('  serverless package --stage ci…');
    const pkg = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--stage', 'ci'], { cwd: ROOT, encoding: 'utf8' });
    if (pkg.status !== 0) throw new Error(`serverless package failed: ${pkg.stderr}`);
  }
  const spec = functionsFromServerlessYml().find((f) => f.name === 'detect');
  if (!spec) throw new Error('no detect function in serverless.yml');
  const a = packaged(spec, options.work, [], join(ROOT, '.serverless', 'detect.zip'), 'pair-a');
  const b = packaged(spec, options.work, [], other, 'pair-b');
  const stub = await stubEndpoint();
  const env = await benchEnv(options.work, join(options.work, 'task'), stub.url);
  const rows: PairwiseRow[] = [];
  const spread = (v: number[]): [number, number, number] => [median(v), Math.min(...v), Math.max(...v)];
  try {
    for (const [measured, eventFile] of [['import + alerting event', COLD_EVENTS.alerting], ['import + quiet event', COLD_EVENTS.quiet]] as const) {
      log(`  detect pairs: ${measured}…`);
      const runsOf = { a: [] as ColdRun[], b: [] as ColdRun[] };
      for (let i = 0; i < runs; i++) {
        for (const [key, pkg] of [['a', a], ['b', b]] as const) {
          stub.calls.length = 0;
          const out = await coldStart(pathToFileURL(pkg.path).href, spec.exportName, eventFile, { ...env, LAMBDA_TASK_ROOT: pkg.root }, pkg.root, false);
          checkPath(`detect (${key === 'a' ? 'this checkout' : options.against})`, eventFile, out.result, stub.calls);
          runsOf[key].push(out);
        }
      }
      const med = (list: ColdRun[]) => ({ wallMs: Math.round(median(list.map((r) => r.ms))), cpuMs: Math.round(median(list.map((r) => r.cpuMs))), split: splitMedian(list) });
      rows.push({
        measured,
        pairs: runs,
        a: med(runsOf.a),
        b: med(runsOf.b),
        cpuRatio: spread(runsOf.a.map((r, i) => r.cpuMs / (runsOf.b[i] as { cpuMs: number }).cpuMs)),
        wallRatio: spread(runsOf.a.map((r, i) => r.ms / (runsOf.b[i] as { ms: number }).ms)),
      });
    }
  } finally {
    stub.close();
  }
  return rows;
}

/** Median of each part of the CPU split, to a tenth of a ms. */
function splitMedian(list: readonly ColdRun[]): ColdRun['split'] {
  const m = (k: keyof ColdRun['split']) => Math.round(median(list.map((r) => r.split[k])) * 10) / 10;
  return { boot: m('boot'), import: m('import'), handler: m('handler') };
}

const splitText = (s: ColdRun['split']) => `${s.boot.toFixed(1)} / ${s.import.toFixed(1)} / ${s.handler.toFixed(1)}`;

/** The pairwise table: medians of each side, ratios A/B pair by pair. */
export function formatColdStartPairs(rows: readonly PairwiseRow[], against: string): string[] {
  const r3 = (v: [number, number, number]) => `${v[0].toFixed(2)} (${v[1].toFixed(2)}–${v[2].toFixed(2)})`;
  return [
    `detect cold start, pairwise: A = this checkout's package, B = ${against}'s, alternated A B A B; median ms; A/B pair by pair, median (min–max):`,
    `  ${'measured'.padEnd(24)} ${'pairs'.padStart(5)}  ${'A wall'.padStart(7)} ${'A CPU'.padStart(7)}  ${'B wall'.padStart(7)} ${'B CPU'.padStart(7)}  ${'A/B CPU'.padStart(18)}  ${'A/B wall'.padStart(18)}`,
    ...rows.map((r) => `  ${r.measured.padEnd(24)} ${String(r.pairs).padStart(5)}  ${String(r.a.wallMs).padStart(7)} ${String(r.a.cpuMs).padStart(7)}  ${String(r.b.wallMs).padStart(7)} ${String(r.b.cpuMs).padStart(7)}  ${r3(r.cpuRatio).padStart(18)}  ${r3(r.wallRatio).padStart(18)}`),
    '  CPU split, median ms: Node start / import of the bundle / handler (first invocation: init, event, AWS calls):',
    ...rows.map((r) => `  ${r.measured.padEnd(24)} A ${splitText(r.a.split)}   B ${splitText(r.b.split)}`),
  ];
}

/** The text table: sizes, zip, cold start bundled and unbundled, the target beside detect. */
export function formatColdStarts(rows: readonly ColdStartRow[]): string[] {
  const kb = (v: number | null) => (v === null ? '-' : `${(v / 1024).toFixed(0)} KB`);
  const out = [
    'Lambda functions (esbuild, minified ESM; detect: no AWS SDK on the alerting path; cold start = fresh process, import + handler, median):',
    '  entry = the file Lambda imports; +static = with the chunks it imports statically; read = every file this start loaded or read (modules + data); total JS = every chunk',
    `  ${'function'.padEnd(14)} ${'entry'.padStart(8)} ${'+static'.padStart(8)} ${'read'.padStart(8)} ${'total JS'.padStart(9)} ${'zip'.padStart(9)}  ${'bundled'.padStart(8)} ${'(CPU)'.padStart(8)}  ${'tsx'.padStart(8)}  ${'target'.padStart(17)}  measured`,
  ];
  for (const r of rows) {
    const target = r.target ? `≤ ${r.target.coldStartMs} ms, ≤ ${kb(r.target.bundleBytes)}` : '';
    out.push(`  ${r.function.padEnd(14)} ${kb(r.entryBytes).padStart(8)} ${kb(r.staticBytes).padStart(8)} ${kb(r.readBytes).padStart(8)} ${kb(r.totalBytes).padStart(9)} ${kb(r.zipBytes).padStart(9)}  ${`${r.coldStartBundledMs} ms`.padStart(8)} ${`${r.coldStartBundledCpuMs} ms`.padStart(8)}  ${`${r.coldStartUnbundledTsxMs} ms`.padStart(8)}  ${target.padStart(17)}  ${r.measured} (${r.runs} runs)`);
  }
  out.push('  CPU of the bundled runs split, median ms: Node start / import of the bundle / handler (detect: init, event, AWS calls):');
  for (const r of rows) out.push(`  ${r.function.padEnd(14)} ${splitText(r.coldStartBundledCpuSplit).padStart(20)}  ${r.measured}`);
  const seen = new Set<string>();
  for (const r of rows) {
    if (r.function.startsWith('floor') || seen.has(r.function) || r.function.startsWith('notify') && seen.has('notify')) continue;
    seen.add(r.function);
    out.push(`  ${r.function} bundle, largest parts (KB): ${r.top.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return out;
}

/** The command line of `npx tsx scripts/bench-coldstart.ts` and `npm run bench -- cold-start` (same flags). */
export async function coldStartMain(args: readonly string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      [
        'npm run bench -- cold-start [--runs N] [--json] [--only detect,floor] [--no-unbundled] [--no-package]',
        "  every function's bundle sizes and cold start (fresh process: import + one event for detect), and the floors",
        'npm run bench -- cold-start --against DIR [--runs N] [--json] [--no-package]',
        "  detect's cold starts (alerting and quiet event) from this checkout's package and DIR/.serverless/detect.zip",
        '  (package DIR first), alternated A B A B, N pairs (default 9), with CPU and wall ratios A/B pair by pair',
      ].join('\n') + '\n',
    );
    return;
  }
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const work = mkdtempSync(join(tmpdir(), 'trailwatch-coldstart-'));
  const at = args.indexOf('--runs');
  const against = args.indexOf('--against');
  const only = args.indexOf('--only');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  try {
    if (against >= 0) {
      const dir = String(args[against + 1]);
      const rows = await benchColdStartPairs({ against: dir, runs: at >= 0 ? Number(args[at + 1]) : 9, work, log, packageFirst: !args.includes('--no-package') });
      process.stdout.write(args.includes('--json') ? `${JSON.stringify(rows, null, 2)}\n` : `${formatColdStartPairs(rows, dir).join('\n')}\n`);
      return;
    }
    const rows = await benchColdStarts({
      runs: at >= 0 ? Number(args[at + 1]) : 7,
      work,
      log,
      packageFirst: !args.includes('--no-package'),
      unbundled: !args.includes('--no-unbundled'),
      ...(only >= 0 ? { only: String(args[only + 1]).split(',') } : {}),
    });
    process.stdout.write(args.includes('--json') ? `${JSON.stringify(rows, null, 2)}\n` : `${formatColdStarts(rows).join('\n')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await coldStartMain(process.argv.slice(2));
