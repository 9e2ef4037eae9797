/**
 * `trailwatch config validate FILE…` — checks tuning files (trailwatch.config.yaml) against the
 * schema and the detection registry, printing every problem as `file:line:col: message` (the form
 * editors and CI annotate). Exit 0 valid (warnings, e.g. an expired suppression, are printed),
 * 1 usage error, 2 invalid.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { detections } from '../detections/index.ts';
import { knownDetectionIds } from '../routing/deployed.ts';
import { formatProblem, TuningValidationError } from '../tuning/errors.ts';
import { loadTuningFile } from '../tuning/load.ts';

const USAGE = `usage: trailwatch config validate <file...>

Validates Trailwatch tuning files (YAML or JSON) against the schema and the detection registry.
Problems print as file:line:col: message. Exit codes: 0 valid, 1 usage error, 2 invalid.`;

export interface ConfigIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs `trailwatch config …`; returns the exit code. */
export async function run(argv: string[], io: ConfigIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`trailwatch config: ${(error as Error).message}\n\n${USAGE}\n`);
    return 1;
  }
  const [sub, ...files] = parsed.positionals;
  if (parsed.values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (sub !== 'validate' || files.length === 0) {
    io.stderr.write(`${sub && sub !== 'validate' ? `trailwatch config: unknown subcommand '${sub}'\n\n` : ''}${USAGE}\n`);
    return 1;
  }
  let invalid = false;
  for (const file of files) {
    if (!existsSync(file)) {
      io.stderr.write(`${file}:1:1: no such file\n`);
      invalid = true;
      continue;
    }
    try {
      const loaded = loadTuningFile(file, { knownDetections: knownDetectionIds(detections) });
      for (const w of loaded.warnings) io.stderr.write(`${formatProblem(w)} (warning)\n`);
      io.stdout.write(`${file}: valid${loaded.warnings.length ? ` (${loaded.warnings.length} warning(s))` : ''}\n`);
    } catch (error) {
      if (!(error instanceof TuningValidationError)) throw error;
      invalid = true;
      for (const p of error.problems) io.stderr.write(`${formatProblem(p)}\n`);
    }
  }
  return invalid ? 2 : 0;
}
