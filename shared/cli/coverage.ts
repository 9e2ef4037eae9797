/**
 * `trailwatch coverage` — what the detections cover, from their metadata.
 *
 *   trailwatch coverage                       the coverage report (docs/coverage.md) on stdout
 *   trailwatch coverage --attack-layer [FILE] a MITRE ATT&CK Navigator layer (JSON) to FILE, or stdout
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { attackLayer, coverageMarkdown, coverageSources } from '../coverage/index.ts';

export interface CoverageIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `usage: trailwatch coverage [--attack-layer [FILE]]

  (no option)            print the coverage report (the content of docs/coverage.md)
  --attack-layer [FILE]  write a MITRE ATT&CK Navigator layer (format 4.5) to FILE, or to stdout
                         when FILE is omitted or "-"; open it at https://mitre-attack.github.io/attack-navigator/
  -h, --help             this help

exit codes: 0 ok, 1 usage or write error`;

/** Runs the command; returns the exit code. */
export async function run(argv: string[], io: CoverageIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // `--attack-layer` takes an optional value: a following argument that is not an option is the file.
  const layerAt = argv.indexOf('--attack-layer');
  const next = layerAt >= 0 ? argv[layerAt + 1] : undefined;
  const layerFile = next !== undefined && !next.startsWith('-') ? next : next === '-' ? '-' : undefined;
  const rest = layerAt >= 0 ? argv.filter((_, i) => i !== layerAt && !(layerFile !== undefined && i === layerAt + 1)) : argv;
  let help = false;
  try {
    const parsed = parseArgs({ args: rest, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true });
    help = parsed.values.help === true;
  } catch (error) {
    io.stderr.write(`trailwatch coverage: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  if (help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (layerAt < 0) {
    io.stdout.write(coverageMarkdown(coverageSources()));
    return 0;
  }
  const json = `${JSON.stringify(attackLayer(coverageSources()), null, 2)}\n`;
  if (layerFile === undefined || layerFile === '-') {
    io.stdout.write(json);
    return 0;
  }
  try {
    writeFileSync(layerFile, json);
  } catch (error) {
    io.stderr.write(`trailwatch coverage: cannot write ${layerFile}: ${(error as Error).message}\n`);
    return 1;
  }
  io.stderr.write(`trailwatch coverage: wrote ATT&CK Navigator layer (${attackLayer(coverageSources()).techniques.length} techniques) to ${layerFile}\n`);
  return 0;
}
