import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { detections } from '../detections/index.ts';
import type { Log } from '../log.ts';
import { silentLog } from '../log.ts';
import { DynamoNoveltyStore } from '../novelty/dynamodb-store.ts';
import { NoveltyModel } from '../novelty/model.ts';
import { EMPTY_TUNING, loadTuningFile } from '../tuning/load.ts';
import type { TuningConfig } from '../tuning/types.ts';
import { Router } from './router.ts';

type Env = Record<string, string | undefined>;

/** The file name the stack packages beside each handler (serverless.yml `package.patterns`). */
export const DEPLOYED_TUNING_FILE = 'trailwatch.config.yaml';

/**
 * The tuning file the Lambda was packaged with: `TRAILWATCH_TUNING_FILE` (relative to the
 * function's root) or `trailwatch.config.yaml`. No file means zero configuration; an invalid file
 * fails the cold start (with every problem, file:line:col) rather than silently routing untuned.
 */
export function loadDeployedTuning(env: Env = process.env, log: Log = silentLog): TuningConfig {
  const name = env['TRAILWATCH_TUNING_FILE']?.trim() || DEPLOYED_TUNING_FILE;
  const path = isAbsolute(name) ? name : join(env['LAMBDA_TASK_ROOT'] ?? process.cwd(), name);
  if (!existsSync(path)) {
    log.warn('no tuning file packaged; routing with zero configuration', { path });
    return EMPTY_TUNING;
  }
  const loaded = loadTuningFile(path, { knownDetections: knownDetectionIds() });
  for (const w of loaded.warnings) log.warn('tuning file warning', { problem: `${w.file}:${w.line}:${w.column}: ${w.message}` });
  return loaded.config;
}

/** Every id a tuning file may name: the registry, the rate detections and the router's own. */
export function knownDetectionIds(): string[] {
  return [...detections.map((d) => d.id), 'api-rate-anomaly', 'api-error-rate-anomaly', 'suppression-expired'];
}

/**
 * The router a deployed handler uses: the packaged tuning file and the novelty model on the
 * DynamoDB table named by TRAILWATCH_NOVELTY_TABLE (without it: routing without novelty, logged).
 */
export function createDeployedRouter(env: Env = process.env, log: Log = silentLog, dynamo?: DynamoDBClient): Router {
  const tuning = loadDeployedTuning(env, log);
  const table = env['TRAILWATCH_NOVELTY_TABLE']?.trim();
  if (!table) log.warn('TRAILWATCH_NOVELTY_TABLE is not set; routing without the novelty model');
  const novelty = table ? new NoveltyModel(new DynamoNoveltyStore(dynamo ?? new DynamoDBClient({}), table)) : undefined;
  return new Router({ tuning, detections, log, ...(novelty ? { novelty } : {}) });
}
