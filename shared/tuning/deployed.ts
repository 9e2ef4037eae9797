import { checkTuningValue, type ParseOptions } from './check.ts';
import { TuningValidationError, type TuningProblem } from './errors.ts';
import type { TuningConfig } from './types.ts';

/**
 * The tuning configuration as the Lambdas read it: JSON that the package step wrote from the
 * checked-in YAML (scripts/esbuild-plugins.cjs, after `parseTuning` accepted the file with every
 * detection id known). Reading it needs no YAML parser and no schema compiler, which keeps both
 * out of the cold start. The same checks run again here (schema compiled ahead of time, then the
 * semantic rules), so a hand-edited or stale JSON still fails the cold start with every problem.
 * JSON written by a program has no useful line numbers: problems say the JSON pointer instead,
 * and the file to fix is the YAML it came from.
 */
export function parseDeployedTuning(text: string, file: string, options: ParseOptions = {}): { config: TuningConfig; warnings: TuningProblem[] } {
  const problem = (pointer: string, message: string): TuningProblem => ({ file, line: 1, column: 1, pointer, message: pointer && pointer !== '/' ? `${message} (at ${pointer})` : message });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TuningValidationError([problem('', `not JSON: ${(error as Error).message}`)]);
  }
  const checked = checkTuningValue(value, options);
  const warnings = checked.warnings.map((w) => problem(w.pointer, w.message));
  if (!checked.config) throw new TuningValidationError(checked.problems.map((p) => problem(p.pointer, p.message)));
  return { config: checked.config, warnings };
}

/** The JSON the package step ships for a validated configuration (stable: sorted as written). */
export function deployedTuningJson(config: TuningConfig): string {
  return `${JSON.stringify(config)}\n`;
}
