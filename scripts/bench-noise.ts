/**
 * `npm run bench -- noise [--days 8] [--per-day 180000] [--seed 7] [--json]`: how loud Trailwatch
 * is on a benign organization, and whether it still pages on the attacks hidden in it.
 *
 * Generates the seeded organization of `scripts/gen-org.ts` (cached in the temp folder by its
 * parameters and the generator's source), replays it in a fresh Node process with the default
 * heap (so the run also proves replay streams), and reports per day: findings by route and
 * severity, pages, Slack messages, and attack-chain recall. docs/noise.md explains the numbers.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding, Route, Severity } from '../shared/model/types.ts';
import { deliveryPath } from '../shared/notify/grouping.ts';
import { MessageCounter } from '../shared/notify/messages.ts';
import { DEFAULT_INCIDENT_WINDOW_MS } from '../shared/notify/incidents.ts';
import { generateOrg, type OrgManifest } from './gen-org.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DAY_MS = 86_400_000;

export interface DayReport {
  day: number;
  findings: number;
  byRoute: Record<string, number>;
  bySeverity: Record<string, number>;
  pages: number;
  slackMessages: number;
}

export interface NoiseReport {
  events: number;
  replayMs: number;
  maxRssMB: number;
  rssMBPerMillionEvents: number;
  days: DayReport[];
  /** Averages over days 2..N (the first day is warm-up: every principal and job is new). */
  pagesPerDay: number;
  slackMessagesPerDay: number;
  pagesPerWeek: number;
  topPages: Array<{ detection: string; principal: string; count: number }>;
  topSlack: Array<{ detection: string; principal: string; count: number }>;
  /**
   * Per attack chain: `pages` as the notifier sends them (one per incident, plus severity rises and
   * re-opened incidents), `pageRouted` findings routed `page` (what paged before incidents), and
   * the Slack messages its findings open (pages, follow-ups, digests, a daily summary).
   */
  attacks: Array<{ id: string; day: number; paged: boolean; pages: number; pageRouted: number; slackMessages: number; findings: string[] }>;
  recall: string;
}

/** Stable principal label for "top noise sources": the role (not the session) or the user. */
function source(f: Finding): string {
  return f.principal.sessionIssuerArn ?? f.principal.arn ?? f.principal.name;
}

function top(counts: Map<string, number>, n: number): Array<{ detection: string; principal: string; count: number }> {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([k, count]) => {
      const [detection = '', principal = ''] = k.split('\u0000');
      return { detection, principal, count };
    });
}

/**
 * Pages, Slack messages and recall from the replayed findings, counted as the notifier delivers
 * them: findings in event-time order through the notifier's message counter
 * (shared/notify/messages.ts, the same one the back-test uses): one page per incident plus severity
 * rises and re-opened incidents, one message per follow-up group, digest group and daily summary.
 * A message belongs to the finding that opens it: to its attack chain, or to its day.
 */
export function noiseReport(
  findings: readonly Finding[],
  manifest: OrgManifest,
  run: { events: number; ms: number; maxRssMB: number },
  incidentWindowMs = DEFAULT_INCIDENT_WINDOW_MS,
): NoiseReport {
  const start = Date.parse(manifest.start);
  const attackOf = new Map<string, string>();
  for (const a of manifest.attacks) for (const id of a.eventIds) attackOf.set(id, a.id);
  const chainOf = (f: Finding): string | undefined => attackOf.get(f.eventId) ?? attackOf.get(String(f.details['firstEventId'] ?? ''));
  const days: DayReport[] = Array.from({ length: manifest.days }, (_, i) => ({ day: i + 1, findings: 0, byRoute: {}, bySeverity: {}, pages: 0, slackMessages: 0 }));
  const pageSources = new Map<string, number>();
  const slackSources = new Map<string, number>();
  const attackFindings = new Map<string, Finding[]>();
  const attackCounts = new Map<string, { pages: number; pageRouted: number; slackMessages: number }>();
  const counter = new MessageCounter({ incidentWindowMs });
  const ordered = findings.map((f, i) => ({ f, i, t: Date.parse(f.time) })).sort((a, b) => a.t - b.t || a.i - b.i);
  for (const { f, t } of ordered) {
    const delivery = counter.count(f, t);
    const paged = delivery.opens === 'page';
    const chain = chainOf(f);
    if (chain) {
      const list = attackFindings.get(chain) ?? [];
      list.push(f);
      attackFindings.set(chain, list);
      const c = attackCounts.get(chain) ?? { pages: 0, pageRouted: 0, slackMessages: 0 };
      if (delivery.path === 'page') c.pageRouted += 1;
      if (paged) c.pages += 1;
      if (delivery.opens) c.slackMessages += 1;
      attackCounts.set(chain, c);
      continue;
    }
    const d = days[Math.min(manifest.days - 1, Math.max(0, Math.floor((t - start) / DAY_MS)))] as DayReport;
    d.findings += 1;
    d.byRoute[delivery.path] = (d.byRoute[delivery.path] ?? 0) + 1;
    d.bySeverity[f.severity] = (d.bySeverity[f.severity] ?? 0) + 1;
    const key = `${f.detection}\u0000${source(f)}`;
    if (paged) {
      d.pages += 1;
      pageSources.set(key, (pageSources.get(key) ?? 0) + 1);
    }
    if (delivery.opens) {
      d.slackMessages += 1;
      if (delivery.opens !== 'summary') slackSources.set(key, (slackSources.get(key) ?? 0) + 1);
    }
  }
  const after = days.slice(1);
  const avg = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const attacks = manifest.attacks.map((a) => {
    const fs = attackFindings.get(a.id) ?? [];
    const c = attackCounts.get(a.id) ?? { pages: 0, pageRouted: 0, slackMessages: 0 };
    return { id: a.id, day: a.day, paged: c.pages > 0, ...c, findings: fs.map((f) => `${f.detection}:${f.severity}:${deliveryPath(f)}`) };
  });
  const pagesPerDay = avg(after.map((d) => d.pages));
  return {
    events: run.events,
    replayMs: Math.round(run.ms),
    maxRssMB: Math.round(run.maxRssMB),
    rssMBPerMillionEvents: Math.round((run.maxRssMB / Math.max(1, run.events)) * 1e6),
    days,
    pagesPerDay: Math.round(pagesPerDay * 100) / 100,
    slackMessagesPerDay: Math.round(avg(after.map((d) => d.slackMessages)) * 100) / 100,
    pagesPerWeek: Math.round(pagesPerDay * 7 * 100) / 100,
    topPages: top(pageSources, 10),
    topSlack: top(slackSources, 10),
    attacks,
    recall: `${attacks.filter((a) => a.paged).length}/${attacks.length}`,
  };
}

/** The organization's logs, generated once per (parameters, generator source) into the temp folder. */
export async function orgLogs(days: number, perDay: number, seed: number): Promise<{ dir: string; manifest: OrgManifest }> {
  const hash = createHash('sha256').update(readFileSync(join(ROOT, 'scripts', 'gen-org.ts'))).digest('hex').slice(0, 10);
  const dir = join(tmpdir(), `trailwatch-noise-${seed}-${days}-${perDay}-${hash}`);
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) return { dir, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as OrgManifest };
  rmSync(dir, { recursive: true, force: true });
  return { dir, manifest: await generateOrg({ out: dir, days, perDay, seed }) };
}

/** Replays `dir` in a fresh process with Node's default heap; findings come back through a file. */
function childReplay(dir: string, extraArgs: string[]): { findings: Finding[]; events: number; ms: number; maxRssMB: number } {
  const out = join(dir, `findings-${process.pid}.jsonl`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, out, ...extraArgs], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`noise replay child failed (${child.status}): ${child.stderr}`);
  const stats = JSON.parse(child.stdout) as { events: number; ms: number; maxRssMB: number };
  const findings = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Finding);
  rmSync(out, { force: true });
  return { findings, ...stats };
}

export interface NoiseOptions {
  days?: number;
  perDay?: number;
  seed?: number;
  /** Run the MFA-replacement processor (default true, as deployed and as replay does; see docs/noise.md). */
  mfaReplacement?: boolean;
  /** A tuning file (docs/tuning.md) the replay routes with, as `trailwatch replay --config` does. */
  config?: string;
}

/** Runs the noise benchmark (zero configuration, or with `config`). */
export async function benchNoise(options: NoiseOptions = {}): Promise<NoiseReport> {
  const { dir, manifest } = await orgLogs(options.days ?? 8, options.perDay ?? 180_000, options.seed ?? 7);
  const run = childReplay(dir, [...(options.mfaReplacement === false ? ['--no-mfa-replacement'] : []), ...(options.config ? ['--config', options.config] : [])]);
  return noiseReport(run.findings, manifest, run);
}

/** `a, b, b, b` -> `a, b ×3`, in first-seen order (a stolen role's burst is hundreds of equal findings). */
function grouped(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts].map(([l, n]) => (n > 1 ? `${l} ×${n}` : l)).join(', ');
}

/** Human-readable report. */
export function formatNoise(r: NoiseReport, label: string): string {
  const sev: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
  const routes: Route[] = ['page', 'digest', 'summary', 'record'];
  const lines = [
    `Noise on the benign organization (${label}): ${r.events} events, replay ${Math.round(r.replayMs / 1000)} s, peak RSS ${r.maxRssMB} MB (${r.rssMBPerMillionEvents} MB per million events)`,
    `  ${'day'.padEnd(4)} ${'findings'.padStart(8)}  ${routes.map((x) => x.padStart(7)).join('')}  ${sev.map((x) => x.padStart(9)).join('')}  ${'pages'.padStart(6)} ${'slack'.padStart(6)}`,
  ];
  for (const d of r.days) {
    lines.push(`  ${String(d.day).padEnd(4)} ${String(d.findings).padStart(8)}  ${routes.map((x) => String(d.byRoute[x] ?? 0).padStart(7)).join('')}  ${sev.map((x) => String(d.bySeverity[x] ?? 0).padStart(9)).join('')}  ${String(d.pages).padStart(6)} ${String(d.slackMessages).padStart(6)}`);
  }
  lines.push(`  after day 1: ${r.pagesPerDay} pages/day (${r.pagesPerWeek}/week), ${r.slackMessagesPerDay} Slack messages/day`);
  lines.push(`  attack chains paged: ${r.recall}`);
  for (const a of r.attacks) {
    lines.push(`    ${a.paged ? 'PAGED ' : 'MISSED'} day ${a.day} ${a.id}: ${a.pages} page(s) (${a.pageRouted} finding(s) routed page), ${a.slackMessages} Slack message(s): ${grouped(a.findings) || 'no finding'}`);
  }
  if (r.topPages.length > 0) lines.push('  top page sources (detection, principal):', ...r.topPages.map((t) => `    ${String(t.count).padStart(5)}  ${t.detection}  ${t.principal}`));
  if (r.topSlack.length > 0) lines.push('  top Slack sources:', ...r.topSlack.map((t) => `    ${String(t.count).padStart(5)}  ${t.detection}  ${t.principal}`));
  return lines.join('\n');
}

// Child mode: one streaming replay of the generated logs; findings to a file, figures on stdout.
if (process.argv[2] === '--child') {
  const dir = process.argv[3] as string;
  const outPath = process.argv[4] as string;
  const { detections } = await import('../shared/detections/index.ts');
  const { readPaths } = await import('../shared/input/files.ts');
  const { replayRecords } = await import('../shared/pipeline/replay.ts');
  const { createReplayProcessors } = await import('../shared/pipeline/processors.ts');
  const { createEnrichers } = await import('../shared/pipeline/enrichers.ts');
  const { createLocalRouter } = await import('../shared/routing/router.ts');
  const { knownDetectionIds } = await import('../shared/routing/deployed.ts');
  const { loadTuningFile } = await import('../shared/tuning/load.ts');
  const configAt = process.argv.indexOf('--config');
  const configFile = configAt >= 0 ? process.argv[configAt + 1] : undefined;
  const tuning = configFile ? loadTuningFile(configFile, { knownDetections: knownDetectionIds(detections) }).config : undefined;
  const routing = await createLocalRouter({ detections, ...(tuning ? { tuning } : {}) });
  const t0 = performance.now();
  // The file's approvedRegions reach the detections as `trailwatch replay --config` gives them.
  const context = tuning?.approvedRegions ? { approvedRegions: tuning.approvedRegions } : {};
  const result = await replayRecords(readPaths([dir]), { detections, context, enrichers: await createEnrichers({ mode: 'local', routing }), processors: await createReplayProcessors({ mfaReplacement: !process.argv.includes('--no-mfa-replacement') }) });
  const ms = performance.now() - t0;
  const file = createWriteStream(outPath);
  for (const f of result.findings) file.write(`${JSON.stringify(f)}\n`);
  file.end();
  await new Promise<void>((resolve) => file.on('close', () => resolve()));
  process.stdout.write(JSON.stringify({ events: result.counts.eventsProcessed, ms, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}
