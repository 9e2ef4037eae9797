/**
 * `trailwatch replay <paths...>` — runs the Lambda's detections (and the stateful processors,
 * e.g. API-rate anomalies) in-process over sample events, JSON/JSON Lines files, or CloudTrail log
 * files (plain or .gz), with local sinks only: no AWS account, no network.
 *
 * stdout carries findings only (`--format json`: one JSON object per finding per line); the
 * summary, progress and diagnostics go to stderr in JSON mode.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { detections } from '../detections/index.ts';
import { estimateInputBytes } from '../input/chunks.ts';
import type { InputStats } from '../input/types.ts';
import { createStreamLogger } from '../log.ts';
import { AlertPreviewSink, SlackWebhookSink } from '../notify/local.ts';
import { checkWebhookUrl } from '../notify/webhook-url.ts';
import { type Severity, SEVERITIES, isSeverity, severityRank } from '../model/types.ts';
import { createEnrichers } from '../pipeline/enrichers.ts';
import { createReplayProcessors } from '../pipeline/processors.ts';
import { replayFiles } from '../pipeline/replay.ts';
import { availableParallelism } from 'node:os';
import { backtest, formatBacktest } from '../routing/backtest.ts';
import { knownDetectionIds } from '../routing/deployed.ts';
import { createLocalRouter, type Router } from '../routing/router.ts';
import { ConsoleSink, formatSummary, shouldColor } from '../sinks/console.ts';
import { guardOutput, isClosedOutput } from './output.ts';
import { loadTuningFile } from '../tuning/load.ts';
import type { ApprovedRegions } from '../tuning/types.ts';
import type { AccountDirectory } from '../alerts/context.ts';
import { OrganizationDirectory } from '../organization/directory.ts';
import { formatSuggestion, SuggestionProfiler } from '../tuning/suggest.ts';
import type { FindingSink } from '../sinks/types.ts';

/** `--workers auto`: inputs smaller than this (uncompressed, estimated) replay in one thread — a worker's start-up costs more than it saves. */
export const AUTO_WORKERS_MIN_BYTES = 64 * 1024 * 1024;
/** `--workers auto` never starts more than this many. */
export const AUTO_WORKERS_MAX = 8;

/** Command-line options. Add a flag here and read it in `buildSinks` (or below): nothing else changes. */
export const REPLAY_OPTIONS = {
  format: { type: 'string', short: 'f', default: 'text' },
  'fail-on': { type: 'string' },
  'no-rates': { type: 'boolean', default: false },
  'no-mfa-replacement': { type: 'boolean', default: false },
  'no-baseline': { type: 'boolean', default: false },
  'show-alerts': { type: 'boolean', default: false },
  'slack-webhook': { type: 'string' },
  config: { type: 'string', short: 'c' },
  suggest: { type: 'boolean', default: false },
  workers: { type: 'string', default: 'auto' },
  quiet: { type: 'boolean', short: 'q', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type ReplayValues = ReturnType<typeof parseArgs<{ options: typeof REPLAY_OPTIONS; allowPositionals: true }>>['values'];

const USAGE = `usage: trailwatch replay [options] <path...>

Replays CloudTrail events through the Trailwatch detections locally. A path is a JSON file (one
event, an array, or a CloudTrail log file {"Records":[...]}), a JSON Lines file (.jsonl/.ndjson),
any of those gzipped (.gz), or a directory (read recursively).

options:
  -f, --format text|json   text (default): readable findings and a summary table;
                           json: one JSON object per finding per line on stdout, summary on stderr
      --fail-on SEVERITY   exit 2 if any finding is at or above SEVERITY (${SEVERITIES.join('|')})
      --no-rates           do not run the stateful API-rate anomaly detector
      --no-mfa-replacement page on every user MFA removal at once (default: as deployed,
                           low at once and high only if no new device in 15 minutes)
      --no-baseline        do not run the baseline behaviours (new role assumer, new API
                           for a principal, sign-in from a new country/network)
      --show-alerts        print each finding's rendered Slack message (JSON) and e-mail
                           (on stdout; on stderr with --format json)
      --slack-webhook URL  post each finding to this Slack incoming webhook (https), with
                           the notifier's renderer and retry rules; fails if Slack refuses one
  -c, --config FILE        route findings with this tuning file (trailwatch.config.yaml), as
                           the deployed stack does; without it: zero configuration
      --suggest            after the run, print a draft tuning file (likely deployers,
                           scanners, vendors, approved regions) inferred from the replayed
                           history, to review
      --workers N|auto     worker threads that read, parse and run the stateless detections
                           in parallel (0: none); auto (default): none for inputs under
                           ${AUTO_WORKERS_MIN_BYTES / 1024 / 1024} MB, else one per CPU core but one, up to ${AUTO_WORKERS_MAX};
                           the findings are the same for every value
  -q, --quiet              no summary
  -v, --verbose            log every skip, every file read and each processor step on stderr
  -h, --help               this help

exit codes:
  0  every input was read (records that are not events, e.g. other detail-types, are counted
     skips) and --fail-on, if given, was not reached
  1  usage error (unknown option, bad value, path that does not exist)
  2  --fail-on threshold reached (takes precedence over 3)
  3  some input could not be read: a corrupt or truncated file, a corrupt record or line, an
     empty file, or a folder with no event files; each is named in the summary`;

/** The worker count for `--workers` (a number, or auto from the input size and the CPU count); undefined when invalid. */
export async function workerCount(value: string, paths: readonly string[], cores = availableParallelism()): Promise<number | undefined> {
  if (value === 'auto') {
    if (cores < 2) return 0;
    return (await estimateInputBytes(paths)) >= AUTO_WORKERS_MIN_BYTES ? Math.min(cores - 1, AUTO_WORKERS_MAX) : 0;
  }
  if (!/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 64 ? n : undefined;
}

/** Exit codes of `trailwatch replay` (documented in its help and in docs/architecture.md). */
export const REPLAY_EXIT = { ok: 0, usage: 1, failOn: 2, unreadable: 3 } as const;

export interface ReplayIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** The sinks findings go to. Flags that add a destination (a webhook…) add their sink here. */
export function buildSinks(values: ReplayValues, io: ReplayIo, accounts?: AccountDirectory): FindingSink[] {
  const format = values.format === 'json' ? 'json' : 'text';
  const context = accounts ? { accounts } : undefined;
  const sinks: FindingSink[] = [new ConsoleSink({ format, out: io.stdout, color: shouldColor(io.stdout, io.env), ...(accounts ? { accounts } : {}) })];
  // Alert previews must not mix into the JSON findings stream on stdout.
  if (values['show-alerts']) sinks.push(new AlertPreviewSink(format === 'json' ? io.stderr : io.stdout, context ? { context } : {}));
  if (values['slack-webhook'] !== undefined) {
    sinks.push(new SlackWebhookSink(values['slack-webhook'], io.stderr, createStreamLogger({ level: values.verbose ? 'debug' : 'warn', stream: io.stderr }), context ? { context } : {}));
  }
  return sinks;
}

/** A one-line progress indicator on a TTY stderr, for inputs over a few thousand events. */
function progressReporter(stderr: ReplayIo['stderr'], enabled: boolean): { update(p: { phase: string; done: number; total?: number }): void; done(): void } {
  const THRESHOLD = 5000;
  let last = 0;
  let shown = false;
  return {
    update(p) {
      if (!enabled || (p.done < THRESHOLD && !shown)) return;
      const now = Date.now();
      if (now - last < 200 && p.done !== p.total) return;
      last = now;
      shown = true;
      let line: string;
      if (p.total) {
        const width = 30;
        const filled = Math.round((p.done / p.total) * width);
        line = `rate analysis [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} events`;
      } else {
        line = `reading… ${p.done} events`;
      }
      stderr.write(`\r\u001b[2K${line}`);
    },
    done() {
      if (shown) stderr.write('\r\u001b[2K');
    },
  };
}

/**
 * The routing step replay uses — the same Router the deployed stack builds, from the same tuning
 * file, with the novelty model in memory — and, for `--suggest`, the history profiler.
 */
async function createReplayRouting(
  configFile: string | undefined,
  suggest: boolean,
): Promise<{ router: Router; directory: OrganizationDirectory; approvedRegions?: ApprovedRegions; profiler?: SuggestionProfiler }> {
  const tuning = configFile === undefined ? undefined : loadTuningFile(configFile, { knownDetections: knownDetectionIds(detections) }).config;
  const router = await createLocalRouter({ detections, ...(tuning ? { tuning } : {}) });
  // The file's organization.accounts: same-organization judgement and account names, as deployed.
  const directory = OrganizationDirectory.fromTuning(tuning?.organization);
  // The file's approvedRegions reach the detections as they do in the deployed detect function.
  const approvedRegions = tuning?.approvedRegions;
  return { router, directory, ...(approvedRegions ? { approvedRegions } : {}), ...(suggest ? { profiler: new SuggestionProfiler() } : {}) };
}

/** Runs `trailwatch replay`; returns the exit code. */
export async function run(argv: string[], io: ReplayIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let parsed: { values: ReplayValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: REPLAY_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`trailwatch replay: ${(error as Error).message}\n\n${USAGE}\n`);
    return REPLAY_EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return REPLAY_EXIT.ok;
  }
  if (values.format !== 'text' && values.format !== 'json') {
    io.stderr.write(`trailwatch replay: --format must be text or json, not ${JSON.stringify(values.format)}\n`);
    return REPLAY_EXIT.usage;
  }
  let failOn: Severity | undefined;
  if (values['fail-on'] !== undefined) {
    const wanted = values['fail-on'].toLowerCase();
    if (!isSeverity(wanted)) {
      io.stderr.write(`trailwatch replay: --fail-on must be one of ${SEVERITIES.join(', ')}\n`);
      return REPLAY_EXIT.usage;
    }
    failOn = wanted;
  }
  if (values['slack-webhook'] !== undefined) {
    try {
      checkWebhookUrl(values['slack-webhook']);
    } catch (error) {
      io.stderr.write(`trailwatch replay: --slack-webhook: ${(error as Error).message}\n`);
      return REPLAY_EXIT.usage;
    }
  }
  if (positionals.length === 0) {
    io.stderr.write(`trailwatch replay: give at least one path\n\n${USAGE}\n`);
    return REPLAY_EXIT.usage;
  }
  const missing = positionals.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    io.stderr.write(`trailwatch replay: no such file or directory: ${missing.join(', ')}\n`);
    return REPLAY_EXIT.usage;
  }

  const workers = await workerCount(values.workers, positionals);
  if (workers === undefined) {
    io.stderr.write(`trailwatch replay: --workers must be auto or a number from 0 to 64, not ${JSON.stringify(values.workers)}\n`);
    return REPLAY_EXIT.usage;
  }

  let routing: Awaited<ReturnType<typeof createReplayRouting>>;
  try {
    routing = await createReplayRouting(values.config, values.suggest);
  } catch (error) {
    io.stderr.write(`trailwatch replay: --config: ${(error as Error).message}\n`);
    return REPLAY_EXIT.usage;
  }

  const json = values.format === 'json';
  const log = createStreamLogger({ level: values.verbose ? 'debug' : 'warn', stream: io.stderr });
  const sinks = buildSinks(values, io, routing.directory.size > 0 ? routing.directory : undefined);
  const stats: InputStats = { files: 0, ignored: 0 };
  const progress = progressReporter(io.stderr, io.stderr.isTTY === true);
  // Kept for the life of the process: an EPIPE can arrive after the last write returned.
  const stdout = guardOutput(io.stdout);
  const result = await replayFiles(positionals, {
    stats,
    workers,
    detections,
    enrichers: await createEnrichers({ mode: 'local', routing: routing.router }),
    processors: [...(await createReplayProcessors({ rates: !values['no-rates'], mfaReplacement: !values['no-mfa-replacement'], baseline: !values['no-baseline'] })), ...(routing.profiler ? [routing.profiler] : [])],
    context: {
      ...(routing.directory.size > 0 ? { organization: { accounts: routing.directory } } : {}),
      ...(routing.approvedRegions ? { approvedRegions: routing.approvedRegions } : {}),
    },
    log,
    maxLoggedSkips: values.verbose ? Number.POSITIVE_INFINITY : 20,
    onProgress: (p) => progress.update(p),
  });
  progress.done();

  for (const sink of sinks) {
    try {
      await sink.publish(result.findings);
    } catch (error) {
      // The reader closed stdout (`| head -1`): stop writing there, keep the exit code honest.
      if (!isClosedOutput(error)) throw error;
    }
  }
  const summaryStream = json ? io.stderr : io.stdout;
  if (!values.quiet && !(summaryStream === io.stdout && stdout.closed)) {
    const summary = formatSummary({ ...result.counts, files: stats.files }, shouldColor(summaryStream, io.env));
    summaryStream.write(`${json ? '' : '\n'}${summary}`);
    summaryStream.write(formatBacktest(backtest(result.findings)));
  }
  if (routing.profiler && !(!json && stdout.closed)) (json ? io.stderr : io.stdout).write(`\n${formatSuggestion(routing.profiler.suggest())}`);
  if (failOn !== undefined) {
    const threshold = severityRank(failOn);
    if (result.findings.some((f) => severityRank(f.severity) >= threshold)) return REPLAY_EXIT.failOn;
  }
  // Unreadable input is never a clean pass, with or without --fail-on.
  if ((result.counts.unreadable?.length ?? 0) > 0) return REPLAY_EXIT.unreadable;
  return REPLAY_EXIT.ok;
}
