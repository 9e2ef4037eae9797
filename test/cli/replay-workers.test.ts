import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTO_WORKERS_MAX, AUTO_WORKERS_MIN_BYTES, run, workerCount } from '../../shared/cli/replay.ts';
import { EVENTS_DIR, ROOT } from '../helpers/events.ts';
import { readFileSync } from 'node:fs';

const work = mkdtempSync(join(tmpdir(), 'trailwatch-workers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function replay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await run(args, { stdout, stderr, env: { NO_COLOR: '1' } });
  return { code, stdout: out, stderr: err };
}

describe('trailwatch replay --workers', () => {
  it('prints the same findings and summary with worker threads as without', async () => {
    const single = await replay([EVENTS_DIR, '--format', 'json', '--workers', '0']);
    const parallel = await replay([EVENTS_DIR, '--format', 'json', '--workers', '2']);
    expect(single.code).toBe(0);
    expect(single.stdout.split('\n').length).toBeGreaterThan(100);
    expect(parallel.code).toBe(single.code);
    expect(parallel.stdout).toBe(single.stdout);
    expect(parallel.stderr).toBe(single.stderr);
  }, 300_000);

  it('refuses a value that is not auto or a number, as a usage error', async () => {
    const r = await replay([EVENTS_DIR, '--workers', 'many']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--workers must be auto or a number');
  });

  it('auto: no worker for small inputs or one core; one per core but one, capped, for large inputs (as --help and docs say)', async () => {
    expect(await workerCount('auto', [EVENTS_DIR], 8)).toBe(0);
    const big = join(work, 'big.json');
    // The estimate reads sizes only: a file of the threshold size stands for a large archive.
    writeFileSync(big, Buffer.alloc(AUTO_WORKERS_MIN_BYTES));
    expect(await workerCount('auto', [big], 1)).toBe(0);
    expect(await workerCount('auto', [big], 2)).toBe(1);
    expect(await workerCount('auto', [big], 64)).toBe(AUTO_WORKERS_MAX);
    expect(await workerCount('3', [big], 2)).toBe(3);
    expect(await workerCount('-1', [big], 2)).toBeUndefined();
    const help = await replay(['--help']);
    expect(help.stdout).toContain(`${AUTO_WORKERS_MIN_BYTES / 1024 / 1024} MB`);
    expect(readFileSync(join(ROOT, 'docs', 'performance.md'), 'utf8')).toContain(`${AUTO_WORKERS_MIN_BYTES / 1024 / 1024} MB`);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`none under ${AUTO_WORKERS_MIN_BYTES / 1024 / 1024} MB`);
  });
});
