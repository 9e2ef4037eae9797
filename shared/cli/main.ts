/**
 * `trailwatch <command> …` — the local CLI. Each command lives in its own module and exports
 * `run(argv): Promise<number>` returning the process exit code.
 */
type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  replay: { summary: 'replay events / CloudTrail log files through the detections and print findings', load: () => import('./replay.ts') },
  policy: { summary: 'analyze or evaluate IAM policies (policy analyze | policy evaluate)', load: () => import('./policy.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: trailwatch <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'trailwatch <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`trailwatch: unknown command '${name}'\n${usage()}\n`);
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
