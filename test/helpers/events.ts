import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { loadTuningFile } from '../../shared/tuning/load.ts';
import type { ApprovedRegions } from '../../shared/tuning/types.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EVENTS_DIR = join(ROOT, 'events');
/** Reference data beside the project (not in the repo). Tests that read it skip when it is absent. */
export const EXTERNAL_DIR = join(ROOT, '..', 'shared', 'external');
export const hasExternal = (sub: string): boolean => existsSync(join(EXTERNAL_DIR, sub));

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Loads `events/<folder>/<name>.json` and normalises it; throws if the sample itself is broken. */
export function sampleEvent(folder: string, name: string): TrailEvent {
  const result = normalize(readJson(join(EVENTS_DIR, folder, `${name}.json`)));
  if (!result.ok) throw new Error(`sample ${folder}/${name} does not normalise: ${result.skip.reason}`);
  return result.event;
}

/** Sample file names (without .json) in `events/<folder>/` starting with `prefix`. */
export function sampleNames(folder: string, prefix = ''): string[] {
  return readdirSync(join(EVENTS_DIR, folder))
    .filter((f) => f.endsWith('.json') && f.startsWith(prefix))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/**
 * What the samples of detections that need tuning (`needsTuning`, e.g. unused-region-activity) are
 * written against: the documented example tuning file's `approvedRegions`
 * (docs/tuning-example.yaml), as the detection context and as the rule generator's input.
 */
export function sampleTuning(): { approvedRegions: ApprovedRegions } {
  const approved = loadTuningFile(join(ROOT, 'docs', 'tuning-example.yaml')).config.approvedRegions;
  if (!approved) throw new Error('docs/tuning-example.yaml has no approvedRegions: the unused-region-activity samples are written against it');
  return { approvedRegions: approved };
}
