/**
 * `npm run bench [-- --json] [-- --events N] [-- --runs N]`: Trailwatch's numbers.
 * `npm run bench -- replay [--events N] [--scale-events N] [--replay-runs N]`: the replay rows alone (1. below).
 * `npm run bench -- noise [--days N] [--per-day N] [--seed N] [--no-mfa-replacement] [--config FILE]`: pages and Slack messages per day on
 *  a generated benign organization, and attack recall (scripts/bench-noise.ts, docs/noise.md).
 *  1. replay throughput (events/s) and peak RSS on a generated corpus (≥ 100,000 mixed, realistic
 *     CloudTrail records in gzip log files), at 1/2/N worker threads, on a longer corpus (500,000
 *     events: one thread against N workers, `--scale-events 0` skips it) and on the Invictus data
 *     set, each in a fresh process; the floor and one-thread rows of the generated and resampled
 *     corpora are the median of `--replay-runs` (default 3) interleaved runs;
 *  2. bundle size per Lambda function (esbuild, the options serverless.yml uses: entry and total)
 *     and zip size from the last `serverless package`;
 *  3. cold start per function (scripts/bench-coldstart.ts; alone: `npm run bench -- cold-start`):
 *     a fresh Node process importing the bundle and, for detect, handling an alerting and a quiet
 *     event against a local AWS stub, vs the same handler from TypeScript through tsx; median of N;
 *  4. the policy and API-rate benchmarks when their scripts exist.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INVICTUS = join(ROOT, '..', 'shared', 'external', 'invictus');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};

// ---------------------------------------------------------------------------------------------
// `npm run bench -- noise`: pages and Slack messages on a benign organization (scripts/bench-noise.ts).
// ---------------------------------------------------------------------------------------------
if (args[0] === 'noise') {
  const { benchNoise, formatNoise } = await import('./bench-noise.ts');
  const mfaReplacement = !flag('--no-mfa-replacement');
  const at = args.indexOf('--config');
  const config = at >= 0 ? args[at + 1] : undefined;
  const report = await benchNoise({ days: option('--days', 8), perDay: option('--per-day', 180_000), seed: option('--seed', 7), mfaReplacement, ...(config ? { config } : {}) });
  const label = `${config ? `tuning ${config}` : 'zero configuration'}${mfaReplacement ? '' : ', without the MFA-replacement processor'}`;
  process.stdout.write(flag('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatNoise(report, label)}\n`);
  process.exit(0);
}

// `npm run bench -- cold-start [--runs N] [--json] [--only …] [--against DIR] [--help]`: only the bundles and cold starts (scripts/bench-coldstart.ts).
if (args[0] === 'cold-start') {
  const { coldStartMain } = await import('./bench-coldstart.ts');
  await coldStartMain(args.slice(1));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Child mode: one replay in this fresh process, figures printed as JSON.
// ---------------------------------------------------------------------------------------------
if (flag('--child-replay')) {
  const { childReplayMain } = await import('./bench-replay.ts');
  await childReplayMain(args[args.indexOf('--child-replay') + 1] as string, option('--workers', 0), flag('--again'));
  process.exit(0);
}

// `npm run bench -- profile [--events N]`: a CPU profile of one single-threaded replay of the generated corpus, self time per stage (docs/performance.md).
if (args[0] === 'profile') {
  const { generateCorpus, measureReplay } = await import('./bench-replay.ts');
  const { summariseProfile, formatProfile } = await import('./profile-replay.ts');
  const dir = mkdtempSync(join(tmpdir(), 'trailwatch-profile-'));
  try {
    mkdirSync(join(dir, 'corpus'));
    generateCorpus(join(dir, 'corpus'), Math.max(option('--events', 100_000), 1));
    const figures = measureReplay(fileURLToPath(import.meta.url), ROOT, join(dir, 'corpus'), 0, ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`]);
    const { readdirSync } = await import('node:fs');
    const file = readdirSync(join(dir, 'prof')).find((f) => f.endsWith('.cpuprofile')) as string;
    process.stdout.write(`replay of ${figures.events} events: ${Math.round(figures.ms)} ms wall, ${Math.round(figures.cpuMs)} ms CPU, ${figures.findings} findings\n`);
    process.stdout.write(`${formatProfile(summariseProfile(JSON.parse(readFileSync(join(dir, 'prof', file), 'utf8'))))}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Bundles and cold starts: scripts/bench-coldstart.ts (entry and total size, zip, cold start on an
// alerting and a quiet event, the target beside them).
// ---------------------------------------------------------------------------------------------

/**
 * The replay rows (docs/performance.md "Replay"): the generated corpus, the floor, one thread, 1/2/N
 * workers, the CLI as a whole process from its bundle and from the sources, and Invictus.
 */
async function benchReplaySection(work: string): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const n = Math.max(option('--events', 100_000), 1);
  const replayBench = await import('./bench-replay.ts');
  const self = fileURLToPath(import.meta.url);
  log(`generating ${n} events…`);
  const corpusDir = join(work, 'corpus');
  mkdirSync(corpusDir);
  const corpus = replayBench.generateCorpus(corpusDir, n);
  log(`measuring the floor (gunzip + JSON.parse, nothing else) and replaying the generated corpus, ${replayRuns()} time(s) each, interleaved…`);
  const { floor, oneThread: gen } = floorAndOneThread(replayBench, self, corpusDir, replayRuns());
  results['replayFloor'] = floor;
  results['replayGenerated'] = { ...gen, files: corpus.files, gzBytes: corpus.bytes };
  log('building the replay worker and CLI bundles (once per source change)…');
  results['replayWorkerBundle'] = await replayBench.prepareWorkerBundle();
  const parallel: Array<Record<string, number>> = [];
  for (const workers of replayBench.workerCounts()) {
    log(`replaying the generated corpus with ${workers} worker thread(s)…`);
    const r = replayBench.measureReplay(self, ROOT, corpusDir, workers);
    const { findingsDigest, ...figures } = r;
    parallel.push({ ...figures, ...replayBench.rates(r), speedup: gen.ms / r.ms, sameFindings: findingsDigest === gen.findingsDigest ? 1 : 0 });
  }
  results['replayWorkers'] = { cores: availableParallelism(), runs: parallel };
  log('running `trailwatch replay` on the corpus as a whole process, from its bundle and from the sources…');
  const cli = (['bundle', 'sources'] as const).flatMap((mode) => replayBench.measureCli(ROOT, corpusDir, mode) ?? []);
  if (cli.length > 0) results['replayCli'] = cli.map((c) => ({ ...c, events: gen.events, ...replayBench.rates({ ...c, events: gen.events }) }));
  const scaleEvents = Math.max(0, option('--scale-events', 500_000));
  if (scaleEvents > 0) results['replayScale'] = benchReplayScale(replayBench, self, work, scaleEvents);
  if (existsSync(INVICTUS) && n >= 1000) results['replayResampled'] = benchReplayResampled(replayBench, self, work, n);
  if (existsSync(INVICTUS)) {
    log('replaying Invictus…');
    const inv = replayBench.measureReplay(self, ROOT, INVICTUS, 0);
    results['replayInvictus'] = { ...inv, eventsPerSecond: replayBench.perSecond(inv.events, inv.ms) };
  }
  return results;
}

type ReplayBench = typeof import('./bench-replay.ts');

/** Interleaved floor / replay runs of each 100k row (`--replay-runs N`, default 3): the median is reported. */
const replayRuns = (): number => Math.max(1, option('--replay-runs', 3));

/** A corpus's floor and its single-threaded replay, each in a fresh process, with their rates and ratios. */
function floorAndOneThread(replayBench: ReplayBench, self: string, dir: string, runs = 1) {
  const { floor, replay: one, replayMs, floorMs } = replayBench.floorAndReplayRuns(self, ROOT, dir, runs);
  return {
    floor: { ...floor, ...replayBench.rates(floor), runs, runsMs: floorMs },
    oneThread: {
      ...one,
      ...replayBench.rates(one),
      timesFloorWall: one.ms / floor.ms,
      timesFloorCpu: one.cpuMs / floor.cpuMs,
      ...(one.againMs !== undefined && one.againCpuMs !== undefined ? { againTimesFloorWall: one.againMs / floor.ms, againTimesFloorCpu: one.againCpuMs / floor.cpuMs } : {}),
      runs,
      runsMs: replayMs,
    },
  };
}

/**
 * The real-shapes rows: as many events as the generated corpus, resampled from Invictus's real
 * records (`resampleCorpus`), their floor and one thread: the generator's records are smaller and
 * plainer than CloudTrail's, which makes the floor cheaper per event than on a real archive.
 */
function benchReplayResampled(replayBench: ReplayBench, self: string, work: string, events: number): Record<string, unknown> | undefined {
  const dir = join(work, 'corpus-resampled');
  mkdirSync(dir);
  log(`resampling ${events} real records from Invictus…`);
  const corpus = replayBench.resampleCorpus(INVICTUS, dir, events);
  if (!corpus) return undefined;
  log(`measuring their floor and replaying them, ${replayRuns()} time(s) each, interleaved…`);
  return { ...corpus, ...floorAndOneThread(replayBench, self, dir, replayRuns()) };
}

/**
 * The scaling rows: a corpus `events` long (default 500,000; `--scale-events 0` skips them), its
 * floor, one thread, and `availableParallelism()` worker threads (at least 2), each in a fresh
 * process. Worker start-up is a fixed cost that the 100k rows cannot repay on 2 cores; these rows
 * show whether the parallel stateless stage pays once the input is long enough, and that it gives
 * the same findings (digest) as one thread.
 */
function benchReplayScale(replayBench: ReplayBench, self: string, work: string, events: number): Record<string, unknown> {
  const dir = join(work, 'corpus-scale');
  mkdirSync(dir);
  log(`generating ${events} events for the scaling rows…`);
  const corpus = replayBench.generateCorpus(dir, events);
  log('measuring their floor and replaying them in one thread…');
  const { floor, oneThread } = floorAndOneThread(replayBench, self, dir);
  const workers = Math.max(2, availableParallelism());
  log(`replaying them with ${workers} worker threads…`);
  const par = replayBench.measureReplay(self, ROOT, dir, workers);
  return {
    files: corpus.files,
    gzBytes: corpus.bytes,
    floor,
    oneThread,
    workers: { ...par, ...replayBench.rates(par), speedup: oneThread.ms / par.ms, timesFloorWall: par.ms / floor.ms, sameFindings: par.findingsDigest === oneThread.findingsDigest },
  };
}

// ---------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------
const json = flag('--json');
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};
const results: Record<string, unknown> = { node: process.version, platform: `${process.platform}/${process.arch}` };
const work = mkdtempSync(join(tmpdir(), 'trailwatch-bench-'));
try {
  Object.assign(results, await benchReplaySection(work));
  // `npm run bench -- replay [--events N]`: the replay rows alone.
  if (args[0] !== 'replay') {
    log('bundling and measuring cold starts…');
    const { benchColdStarts } = await import('./bench-coldstart.ts');
    const functions = await benchColdStarts({ runs: option('--runs', 7), work, log });
    results['functions'] = functions;

    for (const [name, file, fn] of [
      ['policy', 'bench-policy.ts', 'benchPolicy'],
      ['rates', 'bench-rates.ts', 'benchRates'],
    ] as const) {
      const path = join(ROOT, 'scripts', file);
      if (!existsSync(path)) continue;
      log(`running ${fn}()…`);
      const mod = (await import(pathToFileURL(path).href)) as Record<string, () => Promise<unknown>>;
      const run = mod[fn];
      if (typeof run === 'function') results[name] = await run();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (json) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  const out: string[] = [`Trailwatch benchmark (${results['node']}, ${results['platform']})`, ''];
  /** 100000 -> "100k", 2500 -> "2,500": the header names the corpus that was replayed (`--events N`). */
  const countLabel = (events: number): string => (events >= 10_000 && events % 1000 === 0 ? `${events / 1000}k` : events.toLocaleString('en-US'));
  const replayRow = (label: string, r: Record<string, number> | undefined) =>
    r ? `${label.padEnd(34)} ${String(r['events']).padStart(8)} events  ${String(Math.round(r['ms'] ?? 0)).padStart(7)} ms  ${String(r['eventsPerSecond']).padStart(8)} events/s  CPU ${String(Math.round(r['cpuMs'] ?? 0)).padStart(6)} ms = ${String(r['eventsPerCpuSecond'] ?? '-').padStart(7)} events/CPU-s  peak RSS ${Math.round(r['maxRssMB'] ?? 0)} MB${r['findings'] !== undefined ? `  ${r['findings']} findings` : ''}` : undefined;
  const gen = results['replayGenerated'] as Record<string, number>;
  // The same replay run a second time in its process (new processors): what the first run pays beyond it is start-up (V8 compiling the code, caches filling), not work per event.
  const againLine = (indent: string, r: Record<string, number>): string =>
    r['againMs'] === undefined
      ? ''
      : `${indent}${'again in the same process'.padEnd(34 - indent.length + 2)} ${String(Math.round(r['againMs'])).padStart(7)} ms = ${(r['againTimesFloorWall'] ?? 0).toFixed(2)}x floor wall, ${(r['againTimesFloorCpu'] ?? 0).toFixed(2)}x CPU (code compiled, caches full: the first run's extra ${Math.round((r['ms'] ?? 0) - r['againMs'])} ms is start-up)`;
  out.push(`Replay (fresh process each; detections + stream processors, as \`trailwatch replay\`; the floor and one-thread rows of ${countLabel(gen['events'] ?? 0)} events: the median of ${gen['runs'] ?? 1} interleaved runs, \`--replay-runs N\`):`);
  out.push(replayRow('  floor: gunzip + JSON.parse only', results['replayFloor'] as Record<string, number>) ?? '');
  out.push(replayRow('  generated corpus (.json.gz)', gen) ?? '');
  out.push(`  ${'replay / floor'.padEnd(34)} ${(gen['timesFloorWall'] ?? 0).toFixed(2)}x wall time, ${(gen['timesFloorCpu'] ?? 0).toFixed(2)}x CPU time (target: within 2x)`);
  if (gen['againMs'] !== undefined) out.push(againLine('  ', gen));
  const par = results['replayWorkers'] as { cores: number; runs: Array<Record<string, number>> };
  const wb = results['replayWorkerBundle'] as { ms: number; built: boolean; bundled: boolean };
  out.push(`  worker threads (${par.cores} cores here; speed-up is wall time against the single-threaded run above; worker bundle ${wb.bundled ? `${wb.built ? 'built' : 'found in the cache'} in ${Math.round(wb.ms)} ms` : 'unavailable: tsx in every worker'}):`);
  for (const r of par.runs) out.push(`${replayRow(`    ${r['workers']} worker(s)`, r) ?? ''}  speed-up ${(r['speedup'] ?? 0).toFixed(2)}x${r['sameFindings'] === 1 ? '' : '  FINDINGS DIFFER from one thread'}`);
  const cli = results['replayCli'] as Array<Record<string, number> & { mode: string }> | undefined;
  if (cli) {
    out.push('  `trailwatch replay <corpus> --format json --quiet`, whole process (start-up, findings written), one run each:');
    for (const c of cli) out.push(replayRow(`    from ${c.mode === 'bundle' ? 'its cached bundle' : 'the sources (tsx)'}`, c) ?? '');
  }
  const floorRows = (r: { floor: Record<string, number>; oneThread: Record<string, number> }) => [
    replayRow('    floor: gunzip + JSON.parse only', r.floor) ?? '',
    `${replayRow('    one thread', r.oneThread) ?? ''}  ${(r.oneThread['timesFloorWall'] ?? 0).toFixed(2)}x floor wall, ${(r.oneThread['timesFloorCpu'] ?? 0).toFixed(2)}x CPU`,
    againLine('    ', r.oneThread),
  ].filter((line) => line !== '');
  const real = results['replayResampled'] as { files: number; sourceRecords: number; floor: Record<string, number>; oneThread: Record<string, number> } | undefined;
  if (real) {
    out.push(`  real record shapes: ${real.oneThread['events']} events resampled from Invictus's ${real.sourceRecords} records (repeated, times moved, new eventIDs; the attack repeats too):`);
    out.push(...floorRows(real));
  }
  const scale = results['replayScale'] as { files: number; floor: Record<string, number>; oneThread: Record<string, number>; workers: Record<string, number> & { sameFindings: boolean } } | undefined;
  if (scale) {
    out.push(`  scaling: the same generator, ${scale.oneThread['events']} events in ${scale.files} files (\`--scale-events N\`, 0 skips):`);
    out.push(...floorRows(scale));
    out.push(`${replayRow(`    ${scale.workers['workers']} worker threads`, scale.workers) ?? ''}  speed-up ${(scale.workers['speedup'] ?? 0).toFixed(2)}x, ${(scale.workers['timesFloorWall'] ?? 0).toFixed(2)}x floor wall, ${scale.workers.sameFindings ? 'the same findings as one thread' : 'FINDINGS DIFFER from one thread'}`);
  }
  const inv = replayRow('  invictus (55 log files)', results['replayInvictus'] as Record<string, number> | undefined);
  if (inv) out.push(inv);
  if (results['functions']) {
    const { formatColdStarts } = await import('./bench-coldstart.ts');
    out.push('', ...formatColdStarts(results['functions'] as Awaited<ReturnType<typeof import('./bench-coldstart.ts').benchColdStarts>>));
  }
  for (const k of ['policy', 'rates']) if (results[k]) out.push('', `${k}:`, ...Object.entries(results[k] as Record<string, unknown>).map(([key, v]) => `  ${key.padEnd(24)} ${typeof v === 'number' ? Math.round(v * 100) / 100 : JSON.stringify(v)}`));
  process.stdout.write(`${out.join('\n')}\n`);
}
