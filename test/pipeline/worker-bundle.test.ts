import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayWorkerEntry, workerBundleKey } from '../../shared/pipeline/worker-bundle.ts';

describe('replay worker bundle', () => {
  it('is keyed by content: the same sources give the same key, another esbuild another', async () => {
    const a = await workerBundleKey('0.28.2');
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(await workerBundleKey('0.28.2')).toBe(a);
    expect(await workerBundleKey('0.0.1')).not.toBe(a);
  });

  it('is a cached esbuild bundle under node_modules/.cache, named by its key (parallel-replay.test.ts runs workers from it)', async () => {
    const entry = await replayWorkerEntry();
    expect(entry.bundled).toBe(true);
    const file = fileURLToPath(entry.url);
    expect(existsSync(file)).toBe(true);
    expect(file).toContain('/node_modules/.cache/trailwatch/');
    const { version } = (await import('esbuild')) as { version: string };
    expect(basename(file)).toBe(`replay-worker-${await workerBundleKey(version)}.mjs`);
    // Asked once per process: the same answer again, nothing rebuilt.
    expect(await replayWorkerEntry()).toBe(entry);
  }, 120_000);
});
