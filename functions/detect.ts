/**
 * Lambda: CloudTrail event (EventBridge) in -> detections -> SNS alerts, findings bus, metrics.
 * Thin on purpose: everything it does lives in shared/ and is the same code the replay CLI runs.
 * A delivery failure throws, so Lambda's async retries and then the on-failure queue take over.
 */
import type { Context } from 'aws-lambda';
import { type TrailwatchConfig, loadConfig } from '../shared/config.ts';
import { catalog } from '../shared/detections/catalog.ts';
import { type CatalogEntry, loadDetections } from '../shared/detections/catalog-entry.ts';
import type { Detection } from '../shared/detections/types.ts';
import { type Log, createLambdaLogger } from '../shared/log.ts';
import { OrganizationDirectory } from '../shared/organization/directory.ts';
import { CachedDirectory, DynamoDirectoryStore } from '../shared/organization/store.ts';
import { LearnedAccounts } from '../shared/pipeline/accounts.ts';
import { analyzeEvents } from '../shared/pipeline/analyze.ts';
import { deliverFindings } from '../shared/pipeline/deliver.ts';
import { type FindingEnricher, createEnrichers } from '../shared/pipeline/enrichers.ts';
import { createRouter, unwrapRouted } from '../shared/pipeline/routing.ts';
import { knownDetectionIds, loadDeployedTuning, routerFromTuning } from '../shared/routing/deployed.ts';
import { CloudWatchMetricsSink } from '../shared/sinks/cloudwatch.ts';
import { EventBridgeSink } from '../shared/sinks/eventbridge.ts';
import { SnsSink } from '../shared/sinks/sns.ts';
import type { CloudWatchLike, DynamoLike, EventBridgeLike, SnsLike } from '../shared/sinks/transport/apis.ts';
import type { ApprovedRegions, TuningConfig } from '../shared/tuning/types.ts';
import { alertingClients } from '../shared/sinks/transport/index.ts';

export interface DetectDependencies {
  config: TrailwatchConfig;
  log: Log;
  /** The signed-HTTP clients in production (shared/sinks/transport), SDK clients in tests. */
  sns: SnsLike;
  eventBridge: EventBridgeLike;
  cloudWatch: CloudWatchLike;
  /**
   * Default: the generated catalog (shared/detections/catalog.ts), whose entries import their
   * detection's code only when an event is routed to them, so a cold start loads one or two
   * detections instead of all of them and the policy engine.
   */
  detections?: readonly Detection[];
  enrichers?: readonly FindingEnricher[];
  /**
   * The organization directory (shared/organization): the stored AWS Organizations snapshot (TTL
   * cache) merged under the tuning file's `organization.accounts`. Its accounts are not foreign
   * and its names label the per-account metrics.
   */
  directory?: CachedDirectory;
  /** The packaged tuning file's `approvedRegions` (unused-region-activity); absent: that detection is inactive. */
  approvedRegions?: ApprovedRegions;
}

export interface DetectResult {
  findings: number;
  skipped: number;
  /** Detections hit by this event, for the invocation log / tests. */
  detections: string[];
  /** The rule's route (shared/pipeline/routing.ts); undefined for a bare event, which runs every detection. */
  route?: string;
  /** Detections this invocation ran. */
  ran: number;
}

/** CloudTrail eventID from an EventBridge envelope, for log correlation before normalisation. */
function cloudTrailEventId(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const detail = (event as { detail?: unknown }).detail;
  if (typeof detail !== 'object' || detail === null) return undefined;
  const id = (detail as { eventID?: unknown }).eventID;
  return typeof id === 'string' ? id : undefined;
}

/** Builds the handler from its dependencies (tests inject clients; production uses `handler`). */
export function createDetectHandler(deps: DetectDependencies): (event: unknown, context?: Context) => Promise<DetectResult> {
  const sinks = [new SnsSink(deps.sns, deps.config.alertsTopicArn, deps.log), new EventBridgeSink(deps.eventBridge, deps.config.findingsBusName, deps.log)];
  const metrics = new CloudWatchMetricsSink(deps.cloudWatch, deps.config.metricsNamespace, deps.log);
  const route = createRouter<Detection | CatalogEntry>(deps.detections ?? catalog);
  // Same-organization judgement, as in replay: the declared accounts plus every account whose own
  // trail delivered an event here. In organization mode the central bus admits only principals of
  // the organization (aws:PrincipalOrgID), so a recipient account seen here is a member.
  const declared = new Set(deps.config.organizationAccounts);
  const directory = deps.directory;
  const accounts = new LearnedAccounts({ has: (a) => declared.has(a) || directory?.current.has(a) === true });
  return async (input, context) => {
    // Each EventBridge rule wraps the event with its route, so an event matching several rules
    // still yields each (detection, event) once (shared/pipeline/routing.ts).
    const routed = unwrapRouted(input);
    const event = routed.event;
    deps.log.setCorrelationId(cloudTrailEventId(event));
    if (context && 'powertools' in deps.log) (deps.log as ReturnType<typeof createLambdaLogger>).powertools.addContext(context);
    accounts.observe(event);
    await directory?.refresh();
    const selection = route(routed);
    if (selection.unknownRoute) deps.log.warn('unknown route: running every detection (rules and code from different versions?)', { route: selection.unknownRoute });
    const analysis = await analyzeEvents([{ value: event, origin: 'eventbridge' }], {
      detections: await loadDetections(selection.detections),
      // The rates function judges MFA replacement (shared/mfa): a user's MFA removal is low here and
      // pages from there if no new device follows in the window. Root MFA removal pages here at once.
      context: {
        self: deps.config.self,
        organization: { accounts },
        ...(deps.config.mfaReplacementMinutes !== undefined ? { mfaReplacement: { windowMinutes: deps.config.mfaReplacementMinutes } } : {}),
        ...(deps.approvedRegions ? { approvedRegions: deps.approvedRegions } : {}),
      },
      enrichers: deps.enrichers ?? [],
      log: deps.log,
    });
    // An event that reached several rules is counted as processed (or skipped) by one of them only.
    const counts = selection.countsEvent ? analysis.counts : { ...analysis.counts, eventsProcessed: 0, eventsSkipped: 0, skipReasons: {} };
    await deliverFindings(analysis.findings, counts, { sinks, metrics, perAccount: deps.config.accountMetrics, log: deps.log });
    const result: DetectResult = {
      findings: analysis.findings.length,
      skipped: analysis.skips.length,
      detections: [...new Set(analysis.findings.map((f) => f.detection))],
      ran: selection.detections.length,
      ...(routed.route !== undefined ? { route: routed.route } : {}),
    };
    deps.log.info('event processed', { ...result, eventName: analysis.events[0]?.name });
    return result;
  };
}

let production: Promise<(event: unknown, context?: Context) => Promise<DetectResult>> | undefined;
/** The invocation being handled: its remaining time bounds the AWS calls' retries. */
let invocation: Context | undefined;

/** Cold start: configuration, clients and enrichers are created once per execution environment. */
async function init(): Promise<(event: unknown, context?: Context) => Promise<DetectResult>> {
  const log = createLambdaLogger();
  const config = loadConfig();
  // SNS, EventBridge, CloudWatch and DynamoDB without the AWS SDK: its clients cost more of a cold
  // start than all of Trailwatch's code (docs/architecture.md "Bundling").
  const aws = alertingClients({ remainingMs: () => invocation?.getRemainingTimeInMillis?.() });
  // The packaged tuning, read once, checked against every detection id (unknown ids fail the start).
  const tuning = await loadDeployedTuning(process.env, log, knownDetectionIds(catalog));
  const directory = await createDirectory(config, log, aws.dynamo, tuning);
  // The router trusts directory members as it trusts the tuning file's organization.accounts.
  const members = { has: (a: string) => directory.current.has(a), nameOf: (a: string) => directory.current.nameOf(a) };
  return createDetectHandler({
    directory,
    config,
    log,
    sns: aws.sns,
    eventBridge: aws.eventBridge,
    cloudWatch: aws.cloudWatch,
    enrichers: await createEnrichers({ mode: 'lambda', routing: routerFromTuning(tuning, process.env, log, aws.dynamo, catalog, members) }),
    ...(tuning.approvedRegions ? { approvedRegions: tuning.approvedRegions } : {}),
  });
}

/** The packaged tuning file's accounts, plus the stored AWS Organizations directory when the stack has one. */
async function createDirectory(config: TrailwatchConfig, log: Log, dynamo: DynamoLike, tuning: TuningConfig): Promise<CachedDirectory> {
  const declared = OrganizationDirectory.fromTuning(tuning.organization);
  if (!config.directoryTable) return new CachedDirectory(undefined, { declared });
  return new CachedDirectory(new DynamoDirectoryStore(dynamo, config.directoryTable), {
    declared,
    onError: (error) => log.warn('organization directory unavailable; using the last one read', { error: error.message }),
  });
}

/** The Lambda entry point (`functions/detect.handler`). */
export async function handler(event: unknown, context?: Context): Promise<DetectResult> {
  invocation = context;
  production ??= init();
  let run: (event: unknown, context?: Context) => Promise<DetectResult>;
  try {
    run = await production;
  } catch (error) {
    // A failed cold start is not cached: the invocation fails (and is retried), the next one re-initialises.
    production = undefined;
    throw error;
  }
  return run(event, context);
}
