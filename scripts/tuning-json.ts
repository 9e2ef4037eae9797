/**
 * `npx tsx scripts/tuning-json.ts [in.yaml] [out.json]`: the package step's conversion of the
 * checked-in tuning file to the JSON the Lambdas read (shared/tuning/deployed.ts). It validates
 * exactly as `trailwatch config validate` does, with every detection id known, so an invalid file
 * fails `serverless package` with file:line:col instead of failing a cold start after deploy.
 * scripts/esbuild-plugins.cjs calls `convertTuning` once per package run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detections } from '../shared/detections/index.ts';
import { knownDetectionIds } from '../shared/routing/deployed.ts';
import { CHECK_STAMP_SUFFIX, deployedTuningJson, tuningCheckStamp } from '../shared/tuning/deployed.ts';
import { parseTuning } from '../shared/tuning/load.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Validates `yamlPath` and writes its JSON to `jsonPath` (and the check stamp beside it); returns false (writes nothing) when there is no tuning file. */
export function convertTuning(yamlPath = join(ROOT, 'trailwatch.config.yaml'), jsonPath = join(ROOT, 'trailwatch.config.json')): boolean {
  if (!existsSync(yamlPath)) return false;
  const loaded = parseTuning(readFileSync(yamlPath, 'utf8'), yamlPath, { knownDetections: knownDetectionIds(detections) });
  mkdirSync(dirname(jsonPath), { recursive: true });
  const json = deployedTuningJson(loaded.config);
  writeFileSync(jsonPath, json);
  // The stamp that lets a cold start skip the schema check it just passed (shared/tuning/deployed.ts).
  writeFileSync(`${jsonPath}${CHECK_STAMP_SUFFIX}`, tuningCheckStamp(json));
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [input, output] = process.argv.slice(2);
  convertTuning(input, output);
}
