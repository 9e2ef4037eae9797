/**
 * Lambda, every 5 minutes: the forwarder silence check (shared/heartbeat/check.ts). Lists the
 * heartbeat table, adds the expected pairs never heard from, and raises `forwarder-silent` /
 * `forwarder-resumed` findings through the normal path: the routing step (the packaged tuning
 * file: suppressions and severity overrides apply; no novelty model, a silence is never routine),
 * then the alerts topic (the notifier pages or digests it) and the findings bus, and the
 * Findings metrics (the critical/high alarms see it like any finding).
 *
 * A pair changes state only through a conditional write, so overlapping runs never alert twice;
 * if delivery fails, this run's changes are undone and the invocation fails: the next run retries.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { type TrailwatchConfig, loadConfig } from '../shared/config.ts';
import { type ExpectedAccounts, DEFAULT_SILENCE_MINUTES, DirectoryExpectedAccounts, MIN_SILENCE_MINUTES, StaticExpectedAccounts, runCheck, type SilenceOptions } from '../shared/heartbeat/check.ts';
import { DynamoHeartbeatStore } from '../shared/heartbeat/dynamodb-store.ts';
import type { HeartbeatStore } from '../shared/heartbeat/store.ts';
import { type Log, createLambdaLogger } from '../shared/log.ts';
import { deliverFindings } from '../shared/pipeline/deliver.ts';
import type { FindingEnricher } from '../shared/pipeline/enrichers.ts';
import { countRun } from '../shared/pipeline/run-detections.ts';
import { loadDeployedTuning } from '../shared/routing/deployed.ts';
import { Router } from '../shared/routing/router.ts';
import { CloudWatchMetricsSink } from '../shared/sinks/cloudwatch.ts';
import { EventBridgeSink } from '../shared/sinks/eventbridge.ts';
import { SnsSink } from '../shared/sinks/sns.ts';

type Env = Record<string, string | undefined>;

export interface CheckDependencies {
  config: TrailwatchConfig;
  silence: SilenceOptions;
  store: HeartbeatStore;
  expected: ExpectedAccounts;
  log: Log;
  sns: SNSClient;
  eventBridge: EventBridgeClient;
  cloudWatch: CloudWatchClient;
  router?: FindingEnricher;
  now?: () => number;
}

export interface CheckSummary {
  pairs: number;
  added: number;
  findings: number;
  lost: number;
}

/** Thrown at cold start for a bad heartbeat setting (every problem listed). */
export class HeartbeatConfigError extends Error {
  override name = 'HeartbeatConfigError';
}

/**
 * The check's settings from the environment: TRAILWATCH_HEARTBEAT_SILENCE_MINUTES (default 20,
 * at least 10), TRAILWATCH_HEARTBEAT_REGIONS (the StackSet's regions, comma list), and the home
 * pair (TRAILWATCH_HOME_ACCOUNT, AWS_REGION).
 */
export function readSilenceOptions(env: Env): SilenceOptions {
  const problems: string[] = [];
  const rawMinutes = env['TRAILWATCH_HEARTBEAT_SILENCE_MINUTES']?.trim();
  const silenceMinutes = rawMinutes ? Number(rawMinutes) : DEFAULT_SILENCE_MINUTES;
  if (!Number.isInteger(silenceMinutes) || silenceMinutes < MIN_SILENCE_MINUTES) problems.push(`TRAILWATCH_HEARTBEAT_SILENCE_MINUTES must be a whole number of minutes >= ${MIN_SILENCE_MINUTES} (two heartbeats), got ${JSON.stringify(rawMinutes)}`);
  const regions = (env['TRAILWATCH_HEARTBEAT_REGIONS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of regions) if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(r)) problems.push(`TRAILWATCH_HEARTBEAT_REGIONS has a malformed region: ${JSON.stringify(r)}`);
  const account = env['TRAILWATCH_HOME_ACCOUNT']?.trim() ?? '';
  if (!/^\d{12}$/.test(account)) problems.push(`TRAILWATCH_HOME_ACCOUNT must be this stack's 12-digit account id, got ${JSON.stringify(account)}`);
  const region = env['AWS_REGION']?.trim() ?? '';
  if (!region) problems.push('AWS_REGION is not set');
  if (problems.length > 0) throw new HeartbeatConfigError(`heartbeat check configuration is invalid: ${problems.join('; ')}`);
  return { silenceMinutes, regions: [...new Set(regions)], home: { account, region } };
}

/** Builds the check from its dependencies (tests inject clients, a store and a clock). */
export function createCheckHandler(deps: CheckDependencies): () => Promise<CheckSummary> {
  const sinks = [new SnsSink(deps.sns, deps.config.alertsTopicArn, deps.log), new EventBridgeSink(deps.eventBridge, deps.config.findingsBusName, deps.log)];
  const metrics = new CloudWatchMetricsSink(deps.cloudWatch, deps.config.metricsNamespace, deps.log);
  const now = deps.now ?? Date.now;
  return async () => {
    const result = await runCheck(deps.store, deps.expected, deps.silence, now());
    if (result.findings.length > 0) {
      try {
        const findings = deps.router ? await deps.router.enrich(result.findings) : result.findings;
        // No CloudTrail event was processed here: EventsProcessed stays 0 (the stack's own heartbeat alarm watches it).
        await deliverFindings(findings, countRun(0, [], findings), { sinks, metrics, perAccount: deps.config.accountMetrics, log: deps.log });
      } catch (error) {
        deps.log.error('heartbeat findings not delivered; undoing this run so the next one reports them', { error: (error as Error).message, findings: result.findings.length });
        await result.revert();
        throw error;
      }
    }
    const summary = { pairs: result.pairs, added: result.added, findings: result.findings.length, lost: result.lost };
    deps.log.info('heartbeat check', { ...summary, titles: result.findings.map((f) => f.title) });
    return summary;
  };
}

/**
 * Which accounts must send heartbeats: the declared ones (stage parameter) and, when the stack has
 * the Organizations directory (organization mode), its ACTIVE accounts, re-read at most every 10 minutes.
 */
async function expectedAccounts(config: TrailwatchConfig, log: Log): Promise<ExpectedAccounts> {
  if (!config.directoryTable) return new StaticExpectedAccounts(config.organizationAccounts);
  const { CachedDirectory, DynamoDirectoryStore } = await import('../shared/organization/store.ts');
  const directory = new CachedDirectory(new DynamoDirectoryStore(new DynamoDBClient({}), config.directoryTable), {
    onError: (error) => log.warn('organization directory unavailable; expecting the accounts heard from and the declared ones', { error: error.message }),
  });
  return new DirectoryExpectedAccounts(directory, config.organizationAccounts);
}

let production: (() => Promise<CheckSummary>) | undefined;

/** The Lambda entry point (`functions/heartbeat-check.handler`). */
export async function handler(): Promise<CheckSummary> {
  if (!production) {
    const log = createLambdaLogger();
    const table = process.env['TRAILWATCH_HEARTBEAT_TABLE'];
    if (!table) throw new Error('TRAILWATCH_HEARTBEAT_TABLE is not set');
    const config = loadConfig();
    production = createCheckHandler({
      config,
      silence: readSilenceOptions(process.env),
      store: new DynamoHeartbeatStore(new DynamoDBClient({}), table),
      expected: await expectedAccounts(config, log),
      log,
      sns: new SNSClient({}),
      eventBridge: new EventBridgeClient({}),
      cloudWatch: new CloudWatchClient({}),
      router: new Router({ tuning: await loadDeployedTuning(process.env, log), log }),
    });
  }
  return production();
}
