/**
 * `trailwatch <command> …` — the local CLI. Each command lives in its own module and exports
 * `run(argv): Promise<number>` returning the process exit code.
 */
type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  replay: { summary: 'replay events / CloudTrail log files through the detections and print findings', load: () => import('./replay.ts') },
  policy: { summary: 'IAM policies: policy analyze | policy validate | policy evaluate', load: () => import('./policy.ts') },
  coverage: { summary: 'detection coverage: MITRE ATT&CK / Stratus report, --attack-layer for the ATT&CK Navigator', load: () => import('./coverage.ts') },
  config: { summary: 'validate a tuning file (config validate trailwatch.config.yaml)', load: () => import('./config.ts') },
};

/** Package version for `trailwatch --version` (read once from package.json beside the CLI). */
async function version(): Promise<string> {
  const [{ readFile }, { join }, { projectRoot }] = await Promise.all([import('node:fs/promises'), import('node:path'), import('../pipeline/bundle-cache.mjs')]);
  // The root, not a path relative to this file: the CLI usually runs from its bundle in node_modules/.cache.
  const pkg = JSON.parse(await readFile(join(projectRoot(import.meta.url), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return [
    'usage: trailwatch <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'options: -h, --help (this help), -V, --version (print the version)',
    "Run 'trailwatch <command> --help' for a command's options and exit codes.",
    '',
    'exit codes: 0 ok, 1 usage error; each command documents its own (replay: 2 --fail-on reached,',
    '3 input that could not be read; policy: 2 finding, invalid policy or denied request; config: 2 invalid file)',
  ].join('\n');
}

/** Runs one CLI invocation; returns the exit code. Usage errors print the usage on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`trailwatch ${await version()}\n`);
    return 0;
  }
  if (!name) {
    process.stderr.write(`${usage()}\n`);
    return 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`trailwatch: unknown command '${name}'${name.startsWith('-') ? ' (options go after the command, e.g. trailwatch replay -v …)' : ''}\n${usage()}\n`);
    return 1;
  }
  const module = await command.load();
  return module.run(rest);
}

/**
 * A command that fails outright (e.g. Slack refused every alert) prints one line, not a stack trace;
 * set TRAILWATCH_DEBUG=1 for the stack. Returns the exit code (1).
 */
export function reportFatal(error: unknown): number {
  const detail = process.env['TRAILWATCH_DEBUG'] ? ((error as Error).stack ?? String(error)) : error instanceof Error ? error.message : String(error);
  process.stderr.write(`trailwatch: ${detail}\n`);
  return 1;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly || process.env['TRAILWATCH_CLI'] === '1') {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportFatal(error);
    },
  );
}
