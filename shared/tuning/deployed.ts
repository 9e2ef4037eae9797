import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { checkSemantics, type ParseOptions } from './semantics.ts';
import { TuningValidationError, type TuningProblem } from './errors.ts';
import type { TuningConfig } from './types.ts';

/**
 * Beside the JSON, the package step writes `<file>.checked`: the SHA-256 of the exact JSON text it
 * validated against the schema. A cold start whose file still has that hash skips the schema
 * validator (the largest single step of reading the tuning at cold start: docs/performance.md "Cold
 * start") and runs only the semantic checks (known detection ids, real dates and expiry warnings,
 * CIDRs), which depend on the code and the clock of the run. Any other byte — a hand edit, a
 * truncated copy, a file without its stamp — gets the whole check again and is refused with every
 * problem. The stamp is no signature: whoever can change the file can change the code beside it.
 */
export const CHECK_STAMP_SUFFIX = '.checked';

/** The stamp the package step writes for `text` (one line). */
export function tuningCheckStamp(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}\n`;
}

/** How a deployed tuning was checked: whole at this cold start, or the schema part at package time (stamp). */
export type TuningCheckedBy = 'cold-start' | 'package-stamp';

/**
 * The tuning configuration as the Lambdas read it: JSON that the package step wrote from the
 * checked-in YAML (scripts/esbuild-plugins.cjs, after `parseTuning` accepted the file with every
 * detection id known). Reading it needs no YAML parser and no schema compiler, which keeps both
 * out of the cold start. Without a matching stamp (`stamp`, the content of `<file>.checked`) the
 * schema (compiled ahead of time) and the semantic rules run again, so a hand-edited or stale JSON
 * still fails the cold start with every problem; with it, the semantic rules only.
 * JSON written by a program has no useful line numbers: problems say the JSON pointer instead,
 * and the file to fix is the YAML it came from. Async because the schema validator (check.ts, the
 * largest module a cold start would otherwise load) is imported only when the stamp does not match.
 */
export async function parseDeployedTuning(text: string, file: string, options: ParseOptions = {}, stamp?: string): Promise<{ config: TuningConfig; warnings: TuningProblem[]; checkedBy: TuningCheckedBy }> {
  const problem = (pointer: string, message: string): TuningProblem => ({ file, line: 1, column: 1, pointer, message: pointer && pointer !== '/' ? `${message} (at ${pointer})` : message });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TuningValidationError([problem('', `not JSON: ${(error as Error).message}`)]);
  }
  const checkedBy: TuningCheckedBy = stamp !== undefined && stamp === tuningCheckStamp(text) ? 'package-stamp' : 'cold-start';
  const checked = checkedBy === 'package-stamp' ? checkSemantics(value as TuningConfig, options) : (await import('./check.ts')).checkTuningValue(value, options);
  const warnings = checked.warnings.map((w) => problem(w.pointer, w.message));
  if (!checked.config) throw new TuningValidationError(checked.problems.map((p) => problem(p.pointer, p.message)));
  return { config: checked.config, warnings, checkedBy };
}

/** Reads a deployed tuning file and its check stamp (if any) and parses it (`parseDeployedTuning`). */
export async function readDeployedTuningFile(path: string, options: ParseOptions = {}): ReturnType<typeof parseDeployedTuning> {
  const stampFile = `${path}${CHECK_STAMP_SUFFIX}`;
  return parseDeployedTuning(readFileSync(path, 'utf8'), path, options, existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : undefined);
}

/** The JSON the package step ships for a validated configuration (stable: sorted as written). */
export function deployedTuningJson(config: TuningConfig): string {
  return `${JSON.stringify(config)}\n`;
}
