import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run as runCommand } from './run.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/** Runs vitest on one fixture with only the summary reporter; returns its last line and exit code. */
async function run(fixture: string): Promise<{ line: string; status: number | null }> {
  const out = await runCommand(
    process.execPath,
    [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', fixture],
    { cwd: join(HERE, 'reporter-fixtures'), env: { ...process.env, CI: 'true', NO_COLOR: '1' } },
  );
  const lines = (out.stdout ?? '').trim().split('\n');
  return { line: lines[lines.length - 1] ?? '', status: out.status };
}

describe('summary reporter (the closing "tests:" line CI logs end with)', () => {
  it('counts passed, failed and skipped tests', async () => {
    const r = await run('mixed.fixture.ts');
    expect(r.line).toBe('tests: 1 passed, 1 failed, 1 skipped');
    expect(r.status).not.toBe(0);
  });

  it('never prints "0 failed" when a beforeAll hook throws and leaves the tests skipped', async () => {
    const r = await run('hook-fails.fixture.ts');
    expect(r.line).toBe('tests: 0 passed, 1 failed, 1 skipped');
    expect(r.status).not.toBe(0);
  });
});
