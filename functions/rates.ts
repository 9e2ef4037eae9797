/**
 * Lambda: API-rate anomalies. SQS (fed by an EventBridge rule on every CloudTrail management
 * event, read-only included) in large batches -> dedupe, per-key per-minute aggregation in memory,
 * one DynamoDB write per key -> baseline scoring -> findings through the same sinks and delivery
 * function as the detect handler.
 *
 * The same batches feed the MFA-replacement judgement (shared/mfa, DynamoDB state in the rates
 * table): a user's MFA removal not followed by a new device within the window pages from here;
 * `mfaSweep` (scheduled) pages those no later event settled.
 *
 * And the baseline behaviours (shared/baseline, profiles in the rates table under `b|…`): a role
 * assumed by a new principal, an API new for a principal, a console sign-in from a new country or
 * network (docs/baseline.md).
 *
 * An unparseable or non-CloudTrail message is a skip with a reason (logged and counted), never a
 * retry: retrying cannot fix it. A state or delivery failure fails every message of the batch
 * (ReportBatchItemFailures) so SQS redelivers it and, after maxReceiveCount, parks it in the DLQ.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoBaselineStore } from '../shared/baseline/dynamodb-store.ts';
import { BaselineProcessor } from '../shared/baseline/processor.ts';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type TrailwatchConfig, loadConfig } from '../shared/config.ts';
import { type Log, createLambdaLogger } from '../shared/log.ts';
import { DynamoMfaStore } from '../shared/mfa/dynamodb-store.ts';
import { DEFAULT_SWEEP_MARGIN_MINUTES, MfaReplacementProcessor } from '../shared/mfa/replacement.ts';
import { normalize } from '../shared/model/normalize.ts';
import type { Skip, TrailEvent } from '../shared/model/types.ts';
import { deliverFindings } from '../shared/pipeline/deliver.ts';
import type { FindingEnricher } from '../shared/pipeline/enrichers.ts';
import { countRun } from '../shared/pipeline/run-detections.ts';
import { parseRateConfig, type RateConfig } from '../shared/rates/config.ts';
import { RateDetector } from '../shared/rates/detector.ts';
import { createDeployedRouter } from '../shared/routing/deployed.ts';
import { DynamoRateStore } from '../shared/rates/dynamodb-store.ts';
import type { RateStore } from '../shared/rates/store.ts';
import { CloudWatchMetricsSink } from '../shared/sinks/cloudwatch.ts';
import { EventBridgeSink } from '../shared/sinks/eventbridge.ts';
import { SnsSink } from '../shared/sinks/sns.ts';

export interface RatesDependencies {
  config: TrailwatchConfig;
  rates: RateConfig;
  store: RateStore;
  log: Log;
  sns: SNSClient;
  eventBridge: EventBridgeClient;
  cloudWatch: CloudWatchClient;
  /** The routing step (route + routeReason on every finding); production: the packaged tuning + DynamoDB novelty. */
  router?: FindingEnricher;
  /** The MFA-replacement judgement (settleAfterDelivery: true); absent when the stack turned it off. */
  mfa?: MfaReplacementProcessor;
  /** The baseline behaviours; absent when TRAILWATCH_BASELINE=off. */
  baseline?: BaselineProcessor;
}

/** Event-time lateness the deployed MFA judgement allows within the SQS stream (see MfaReplacementOptions). */
export const MFA_LATENESS_MINUTES = 5;

/** Builds the handler from its dependencies (tests inject clients and a store). */
export function createRatesHandler(deps: RatesDependencies): (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse> {
  const sinks = [new SnsSink(deps.sns, deps.config.alertsTopicArn, deps.log), new EventBridgeSink(deps.eventBridge, deps.config.findingsBusName, deps.log)];
  const metrics = new CloudWatchMetricsSink(deps.cloudWatch, deps.config.metricsNamespace, deps.log);
  // Kept for the life of the execution environment: the dedupe window and the state cache.
  const detector = new RateDetector(deps.store, deps.rates);
  return async (event) => {
    const records = Array.isArray(event?.Records) ? event.Records : [];
    const skips: Skip[] = [];
    const events: TrailEvent[] = [];
    const sentAt = new Map<TrailEvent, number>();
    for (const record of records) {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        skips.push({ reason: 'rates: SQS message body is not JSON', origin: `sqs:${record.messageId}` });
        continue;
      }
      const result = normalize(body);
      if (!result.ok) {
        skips.push({ ...result.skip, origin: `sqs:${record.messageId}` });
        continue;
      }
      events.push(result.event);
      const sent = Number(record.attributes?.SentTimestamp);
      if (Number.isFinite(sent)) sentAt.set(result.event, sent);
    }
    try {
      const result = await detector.process(events, (e) => sentAt.get(e));
      skips.push(...result.skips);
      // Every parsed event (redeliveries included: the judgement is idempotent per eventID).
      const mfaFindings = deps.mfa ? await deps.mfa.process(events) : [];
      const baselineFindings = deps.baseline ? await deps.baseline.process(events) : [];
      const raw = [...result.findings, ...mfaFindings, ...baselineFindings];
      const findings = deps.router ? await deps.router.enrich(raw) : raw;
      const counts = countRun(records.length - skips.length, skips, findings);
      await deliverFindings(findings, counts, { sinks, metrics, perAccount: deps.config.accountMetrics, log: deps.log });
      // Only now forget the removals that paged: a failed delivery leaves them pending.
      await deps.mfa?.settle();
      deps.log.info('rate batch processed', {
        messages: records.length,
        counted: events.length - result.skips.length,
        skipped: skips.length,
        skipReasons: counts.skipReasons,
        findings: findings.length,
        stateWrites: deps.store.stats.writes,
        ...(deps.mfa ? { mfa: deps.mfa.stats } : {}),
        ...(deps.baseline ? { baseline: { ...deps.baseline.stats, store: deps.baseline.store.stats } } : {}),
      });
      return { batchItemFailures: [] };
    } catch (error) {
      // State or delivery failed mid-batch: let SQS redeliver the whole batch (the eventID dedupe
      // window drops what this environment already counted; unsettled MFA removals stay pending).
      deps.mfa?.abandon();
      deps.log.error('rate batch failed; returning every message for redelivery', { error: (error as Error).message, messages: records.length });
      return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
  };
}

export interface MfaSweepDependencies {
  config: TrailwatchConfig;
  mfa: MfaReplacementProcessor;
  log: Log;
  sns: SNSClient;
  eventBridge: EventBridgeClient;
  cloudWatch: CloudWatchClient;
  router?: FindingEnricher;
  /** Wall clock (tests move it). */
  clock?: () => number;
  /** Minutes of delivery lag allowed after a deadline before the sweep pages (default 15). */
  marginMinutes?: number;
}

export interface MfaSweepResult {
  findings: number;
  pending: number;
}

/**
 * Builds the scheduled MFA sweep: pages every removal whose replacement deadline passed more than
 * `marginMinutes` ago by the wall clock — the bound on a removal's page when no later CloudTrail
 * event reaches the rates function. A failure throws; the pending removals stay and the next run
 * (5 minutes later) retries.
 */
export function createMfaSweepHandler(deps: MfaSweepDependencies): () => Promise<MfaSweepResult> {
  const sinks = [new SnsSink(deps.sns, deps.config.alertsTopicArn, deps.log), new EventBridgeSink(deps.eventBridge, deps.config.findingsBusName, deps.log)];
  const metrics = new CloudWatchMetricsSink(deps.cloudWatch, deps.config.metricsNamespace, deps.log);
  const clock = deps.clock ?? Date.now;
  const marginMs = (deps.marginMinutes ?? DEFAULT_SWEEP_MARGIN_MINUTES) * 60_000;
  return async () => {
    try {
      const raw = await deps.mfa.sweep(clock() - marginMs);
      const findings = deps.router ? await deps.router.enrich(raw) : raw;
      await deliverFindings(findings, countRun(0, [], findings), { sinks, metrics, perAccount: deps.config.accountMetrics, log: deps.log });
      await deps.mfa.settle();
      const result = { findings: findings.length, pending: (await deps.mfa.pending()).length };
      deps.log.info('mfa sweep done', { ...result });
      return result;
    } catch (error) {
      deps.mfa.abandon();
      throw error;
    }
  };
}

/** The deployed MFA judgement on the rates table, or undefined when TRAILWATCH_MFA_REPLACEMENT_MINUTES turns it off. */
function productionMfa(config: TrailwatchConfig, dynamo: DynamoDBClient, table: string): MfaReplacementProcessor | undefined {
  if (config.mfaReplacementMinutes === undefined) return undefined;
  return new MfaReplacementProcessor(new DynamoMfaStore(dynamo, table), { windowMinutes: config.mfaReplacementMinutes, latenessMinutes: MFA_LATENESS_MINUTES, settleAfterDelivery: true });
}

let production: ((event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>) | undefined;

/** The Lambda entry point (`functions/rates.handler`). */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (!production) {
    const log = createLambdaLogger();
    const parsed = parseRateConfig(process.env);
    for (const warning of parsed.warnings) log.warn('rate config value ignored', { warning });
    const table = process.env['TRAILWATCH_RATES_TABLE'];
    if (!table) throw new Error('TRAILWATCH_RATES_TABLE is not set');
    const config = loadConfig();
    const dynamo = new DynamoDBClient({});
    const mfa = productionMfa(config, dynamo, table);
    production = createRatesHandler({
      config,
      rates: parsed.config,
      store: new DynamoRateStore(dynamo, table),
      log,
      sns: new SNSClient({}),
      eventBridge: new EventBridgeClient({}),
      cloudWatch: new CloudWatchClient({}),
      router: await createDeployedRouter(process.env, log),
      ...(mfa ? { mfa } : {}),
      ...(process.env['TRAILWATCH_BASELINE'] === 'off' ? {} : { baseline: new BaselineProcessor(new DynamoBaselineStore(dynamo, table)) }),
    });
  }
  return production(event, context);
}

let productionSweep: (() => Promise<MfaSweepResult>) | undefined;

/** The scheduled entry point (`functions/rates.mfaSweep`, every 5 minutes). */
export async function mfaSweep(): Promise<MfaSweepResult> {
  if (!productionSweep) {
    const log = createLambdaLogger();
    const table = process.env['TRAILWATCH_RATES_TABLE'];
    if (!table) throw new Error('TRAILWATCH_RATES_TABLE is not set');
    const config = loadConfig();
    const mfa = productionMfa(config, new DynamoDBClient({}), table);
    if (!mfa) {
      log.info('MFA replacement judgement is off (TRAILWATCH_MFA_REPLACEMENT_MINUTES): nothing to sweep');
      return { findings: 0, pending: 0 };
    }
    productionSweep = createMfaSweepHandler({ config, mfa, log, sns: new SNSClient({}), eventBridge: new EventBridgeClient({}), cloudWatch: new CloudWatchClient({}), router: await createDeployedRouter(process.env, log) });
  }
  return productionSweep();
}
