import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { DetectionMeta } from '../detections/types.ts';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { DynamoNoveltyStore } from '../novelty/dynamodb-store.ts';
import type { DynamoLike } from '../sinks/transport/apis.ts';
import { AwsHttp } from '../sinks/transport/aws-http.ts';
import { DynamoDbHttpClient } from '../sinks/transport/dynamodb.ts';
import { NoveltyModel } from '../novelty/model.ts';
import { EMPTY_TUNING } from '../tuning/semantics.ts';
import { readDeployedTuningFile } from '../tuning/deployed.ts';
import { TuningError } from '../tuning/errors.ts';
import type { TuningConfig } from '../tuning/types.ts';
import { Router, type RouterOptions } from './router.ts';

type Env = Record<string, string | undefined>;

/**
 * The file the package step writes beside each handler: `trailwatch.config.yaml`, validated and
 * converted to JSON (scripts/esbuild-plugins.cjs), so the Lambda loads no YAML parser.
 */
export const DEPLOYED_TUNING_FILE = 'trailwatch.config.json';

/**
 * The tuning the Lambda was packaged with: `TRAILWATCH_TUNING_FILE` (relative to the function's
 * root) or `trailwatch.config.json`. No file means zero configuration; an invalid file fails the
 * cold start (with every problem) rather than silently routing untuned. Only JSON is read here: a
 * YAML file is refused with the way to convert it (replay and the CLI read YAML through load.ts).
 */
export async function loadDeployedTuning(env: Env = process.env, log: Log = silentLog, detectionIds?: readonly string[]): Promise<TuningConfig> {
  const name = env['TRAILWATCH_TUNING_FILE']?.trim() || DEPLOYED_TUNING_FILE;
  const path = isAbsolute(name) ? name : join(env['LAMBDA_TASK_ROOT'] ?? process.cwd(), name);
  if (!existsSync(path)) {
    log.warn('no tuning file packaged; routing with zero configuration', { path });
    return EMPTY_TUNING;
  }
  if (!path.endsWith('.json')) throw new TuningError(`${name}: the deployed functions read the JSON the package step writes from the YAML (TRAILWATCH_TUNING_FILE=${DEPLOYED_TUNING_FILE}); run \`serverless package\`, or convert with \`npx tsx scripts/tuning-json.ts <file.yaml> <file.json>\``);
  const loaded = await readDeployedTuningFile(path, detectionIds ? { knownDetections: detectionIds } : {});
  for (const w of loaded.warnings) log.warn('tuning file warning', { problem: `${w.file}:${w.line}:${w.column}: ${w.message}` });
  return loaded.config;
}

/** Ids that are not in the one-event registry: the rate detections, the baseline behaviours (shared/baseline), the router's own, and the forwarder heartbeat check's (shared/heartbeat/check.ts). */
export const EXTRA_DETECTION_IDS = ['api-rate-anomaly', 'api-error-rate-anomaly', 'unusual-role-assumption', 'new-api-for-principal', 'signin-from-new-location', 'suppression-expired', 'forwarder-silent', 'forwarder-resumed'] as const;

/** Every id a tuning file may name, given the registry (`shared/detections/index.ts`). */
export function knownDetectionIds(registry: readonly Pick<DetectionMeta, 'id'>[]): string[] {
  return [...registry.map((d) => d.id), ...EXTRA_DETECTION_IDS];
}

/**
 * The router a deployed handler uses: the packaged tuning file and the novelty model on the
 * DynamoDB table named by TRAILWATCH_NOVELTY_TABLE (without it: routing without novelty, logged).
 * `registry` is the detection registry (detect passes it: unknown ids in the file fail the cold
 * start, and `routine.learnable` is honoured). The rates function routes only rate findings and
 * passes none, so its bundle does not carry every detection and the policy engine; the same file
 * is checked with the registry by detect, by `trailwatch config validate` and by the tests.
 */
export async function createDeployedRouter(
  env: Env = process.env,
  log: Log = silentLog,
  dynamo?: DynamoLike,
  registry?: readonly Pick<DetectionMeta, 'id' | 'routine'>[],
  members?: RouterOptions['members'],
): Promise<Router> {
  return routerFromTuning(await loadDeployedTuning(env, log, registry ? knownDetectionIds(registry) : undefined), env, log, dynamo, registry, members);
}

/**
 * `createDeployedRouter` for a tuning the caller already loaded (detect reads the packaged file
 * once for both its organization directory and its router, with the registry's ids).
 */
export function routerFromTuning(
  tuning: TuningConfig,
  env: Env = process.env,
  log: Log = silentLog,
  dynamo?: DynamoLike,
  registry?: readonly Pick<DetectionMeta, 'id' | 'routine'>[],
  members?: RouterOptions['members'],
): Router {
  const table = env['TRAILWATCH_NOVELTY_TABLE']?.trim();
  if (!table) log.warn('TRAILWATCH_NOVELTY_TABLE is not set; routing without the novelty model');
  const novelty = table ? new NoveltyModel(new DynamoNoveltyStore(dynamo ?? new DynamoDbHttpClient(new AwsHttp()), table)) : undefined;
  return new Router({ tuning, log, ...(registry ? { detections: registry } : {}), ...(novelty ? { novelty } : {}), ...(members ? { members } : {}) });
}
