/**
 * `npx tsx scripts/profile-replay.ts <cpuprofile>`: self time per replay stage from a V8 CPU
 * profile (`node --cpu-prof`), as docs/performance.md reports it. `npm run bench -- profile` writes
 * the profile of one replay of the generated corpus and prints this table.
 *
 * Stages are assigned by the source file of each sampled function (self time: where the CPU was,
 * not who called it). Built-ins are charged to their JavaScript caller, so `JSON.parse` shows up
 * as the reader function that calls it (shared/input/chunks.ts) — reported as "parse".
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** [stage, test on "url functionName"], first match wins. */
const STAGES: Array<[string, RegExp]> = [
  ['idle (waiting for I/O or the CPU)', /\(idle\)/],
  ['garbage collection', /\(garbage collector\)/],
  ['read + gunzip (zlib, fs)', /node:zlib|node:fs|node:internal\/fs|internal\/streams|node:stream|loadText/],
  ['parse (JSON.parse, utf8 decode)', /shared\/input\/|node:buffer|node:string_decoder/],
  ['normalise', /shared\/model\/normalize\.ts|shared\/model\/external-findings/],
  ['route to detections (index, chunk loop)', /shared\/pipeline\/(detection-index|stateless|run-detections)\.ts/],
  ['detect', /shared\/detections\/|shared\/policy\//],
  ['rates', /shared\/rates\//],
  ['baseline / novelty / MFA / other processors', /shared\/(baseline|novelty|mfa|tuning)\//],
  ['dedup + reorder + stateful plumbing', /shared\/pipeline\/(replay|reorder|accounts|replay-workers)\.ts/],
  ['worker messages (event codec, structured clone)', /shared\/pipeline\/event-codec\.ts|postMessage|node:internal\/worker|MessagePort|deserialize/],
  ['enrich + route findings', /shared\/routing\/|shared\/pipeline\/(analyze|enrichers)\.ts/],
  ['bound + serialise findings', /shared\/model\/finding-bounds|shared\/sinks\//],
  ['module loading (tsx, esbuild)', /node:internal\/modules|esbuild|tsx|cjs-module-lexer|node_modules|compileSourceTextModule/],
];

export interface StageRow {
  stage: string;
  ms: number;
  share: number;
}

/**
 * Functions of an esbuild bundle (`node_modules/.cache/trailwatch/<key>/functions/*.mjs`: the replay workers', the CLI's)
 * carry the bundle's URL: they are charged to the source file whose `// path` comment, which esbuild
 * writes before each module's code, precedes their line.
 */
const bundleMaps = new Map<string, Array<[number, string]>>();
function sourceOf(url: string, line: number): string {
  if (!/\/node_modules\/\.cache\/trailwatch\/[0-9a-f]+\/functions\/(replay-worker|trailwatch-cli)-[0-9a-f]+\.mjs$/.test(url)) return url;
  let marks = bundleMaps.get(url);
  if (!marks) {
    marks = [];
    try {
      const lines = readFileSync(fileURLToPath(url), 'utf8').split('\n');
      lines.forEach((text, i) => {
        const m = /^\/\/ ((?:shared|node_modules)\/\S+)$/.exec(text);
        // A bundled dependency runs as part of the replay, not module loading: named without `node_modules/`.
        if (m) marks?.push([i, (m[1] as string).replace(/^node_modules\//, 'bundled dependency ')]);
      });
    } catch {
      // The bundle is gone (a later build removed it): charged to module loading, as before.
    }
    bundleMaps.set(url, marks);
  }
  let source = url;
  for (const [at, file] of marks) {
    if (at > line) break;
    source = file;
  }
  return source;
}

export function summariseProfile(profile: CpuProfile): { totalMs: number; rows: StageRow[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perStage = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const node = byId.get(profile.samples[i] as number);
    const label = node ? `${sourceOf(node.callFrame.url, node.callFrame.lineNumber)} ${node.callFrame.functionName}` : '';
    const stage = STAGES.find(([, re]) => re.test(label))?.[0] ?? 'other (V8 built-ins, program)';
    perStage.set(stage, (perStage.get(stage) ?? 0) + us);
  }
  const rows = [...perStage].map(([stage, us]) => ({ stage, ms: us / 1000, share: total > 0 ? us / total : 0 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, rows };
}

export function formatProfile(summary: ReturnType<typeof summariseProfile>): string {
  const lines = summary.rows.map((r) => `  ${r.stage.padEnd(44)} ${r.ms.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(6)} %`);
  return [`  ${'stage (self time)'.padEnd(44)} ${'time'.padStart(10)} ${'share'.padStart(8)}`, ...lines, `  ${'total sampled'.padEnd(44)} ${summary.totalMs.toFixed(0).padStart(7)} ms`].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npx tsx scripts/profile-replay.ts <file.cpuprofile>\n');
    process.exit(1);
  }
  process.stdout.write(`${formatProfile(summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile))}\n`);
}
