import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { run } from '../../shared/cli/config.ts';
import { ROOT } from '../helpers/events.ts';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return { io: { stdout, stderr }, out: () => out.join(''), err: () => err.join('') };
}

describe('trailwatch config validate', () => {
  it('accepts the deployed file and the documented example (exit 0)', async () => {
    const t = io();
    expect(await run(['validate', join(ROOT, 'trailwatch.config.yaml'), join(ROOT, 'docs/tuning-example.yaml')], t.io)).toBe(0);
    expect(t.out()).toMatch(/trailwatch\.config\.yaml: valid/);
    expect(t.out()).toMatch(/tuning-example\.yaml: valid/);
  });

  it('prints every problem as file:line:col and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nsuppressions:\n  - id: x\n    detection: kms-key-deletion\n    owner: me\n    expires: 2027-01-01\n    reasn: typo\n');
    const t = io();
    expect(await run(['validate', file], t.io)).toBe(2);
    expect(t.err()).toContain(`${file}:3:5: suppressions.0: missing required field "reason"`);
    expect(t.err()).toContain(`${file}:7:5: suppressions.0: unknown field "reasn"`);
  });

  it('warns about an expired suppression but still exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-config-'));
    const file = join(dir, 'old.yaml');
    writeFileSync(file, 'version: 1\nsuppressions:\n  - { id: old, detection: kms-key-deletion, reason: preview teardown, owner: platform, expires: 2020-01-01 }\n');
    const t = io();
    expect(await run(['validate', file], t.io)).toBe(0);
    expect(t.err()).toMatch(/old\.yaml:3:\d+: suppression "old" expired on 2020-01-01.*\(warning\)/);
  });

  it('usage errors exit 1; a missing file is reported with a position and exits 2', async () => {
    expect(await run([], io().io)).toBe(1);
    expect(await run(['lint', 'x.yaml'], io().io)).toBe(1);
    const t = io();
    expect(await run(['validate', '/no/such/file.yaml'], t.io)).toBe(2);
    expect(t.err()).toContain('/no/such/file.yaml:1:1: no such file');
  });
});
