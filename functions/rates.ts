/**
 * Lambda: API-rate anomalies. SQS (fed by an EventBridge rule on every CloudTrail management
 * event, read-only included) in large batches -> dedupe, per-key per-minute aggregation in memory,
 * one DynamoDB write per key -> baseline scoring -> findings through the same sinks and delivery
 * function as the detect handler.
 *
 * An unparseable or non-CloudTrail message is a skip with a reason (logged and counted), never a
 * retry: retrying cannot fix it. A state or delivery failure fails every message of the batch
 * (ReportBatchItemFailures) so SQS redelivers it and, after maxReceiveCount, parks it in the DLQ.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type TrailwatchConfig, loadConfig } from '../shared/config.ts';
import { type Log, createLambdaLogger } from '../shared/log.ts';
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
}

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
      const findings = deps.router ? await deps.router.enrich(result.findings) : result.findings;
      const counts = countRun(records.length - skips.length, skips, findings);
      await deliverFindings(findings, counts, { sinks, metrics, log: deps.log });
      deps.log.info('rate batch processed', {
        messages: records.length,
        counted: events.length - result.skips.length,
        skipped: skips.length,
        skipReasons: counts.skipReasons,
        findings: findings.length,
        stateWrites: deps.store.stats.writes,
      });
      return { batchItemFailures: [] };
    } catch (error) {
      // State or delivery failed mid-batch: let SQS redeliver the whole batch (the eventID dedupe
      // window drops what this environment already counted).
      deps.log.error('rate batch failed; returning every message for redelivery', { error: (error as Error).message, messages: records.length });
      return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
  };
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
    production = createRatesHandler({
      config: loadConfig(),
      rates: parsed.config,
      store: new DynamoRateStore(new DynamoDBClient({}), table),
      log,
      sns: new SNSClient({}),
      eventBridge: new EventBridgeClient({}),
      cloudWatch: new CloudWatchClient({}),
      router: createDeployedRouter(process.env, log),
    });
  }
  return production(event, context);
}
