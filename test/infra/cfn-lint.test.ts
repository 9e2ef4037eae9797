import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/events.ts';
import { ensurePackaged, PACKAGE_DIR, packagedTemplate } from '../helpers/packaged.ts';
import { run as runCommand } from '../helpers/run.ts';

/**
 * cfn-lint (installed in the image's Python; no network) on the packaged stack. Lambda blocks
 * deprecated runtimes, so a template cfn-lint rejects does not deploy: zero errors, and every
 * warning either fixed or ignored in `.cfnlintrc.yaml` with a reason. Under CI=true a missing
 * cfn-lint fails the suite; on a developer machine without it this file skips.
 */
const CONFIG = join(ROOT, '.cfnlintrc.yaml');
const available = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
const inCi = process.env['CI'] === 'true' || process.env['CI'] === '1';

interface LintMatch {
  Level: string;
  Rule: { Id: string };
  Message: string;
  Location: { Path?: unknown[] };
  Filename: string;
}

describe('cfn-lint on the packaged stack', () => {
  it.runIf(inCi && !available)('is installed in CI', () => {
    expect.fail('cfn-lint is not on PATH; CI must lint the packaged template (it is part of the image)');
  });

  describe.runIf(available)('with .cfnlintrc.yaml', () => {
    const templates = ['cloudformation-template-update-stack.json', 'cloudformation-template-create-stack.json'].map((f) => join(PACKAGE_DIR, f));
    beforeAll(() => ensurePackaged(), 300_000);

    it('reports no error and no unlisted warning on either template', async () => {
      for (const t of templates) expect(existsSync(t), t).toBe(true);
      const run = await runCommand('cfn-lint', ['--format', 'json', ...templates], { cwd: ROOT });
      // Exit codes are bit flags (2 error, 4 warning, 8 info); 1 means cfn-lint itself failed.
      expect(run.status === 1 ? run.stderr : '', 'cfn-lint crashed').toBe('');
      const matches = JSON.parse(run.stdout || '[]') as LintMatch[];
      const problems = matches.filter((m) => m.Level === 'Error' || m.Level === 'Warning').map((m) => `${m.Rule.Id} ${m.Message} (${(m.Location.Path ?? []).join('/')})`);
      expect(problems).toEqual([]);
    }, 300_000);

    it('gives every ignored check a one-line reason', () => {
      const lines = readFileSync(CONFIG, 'utf8').split('\n');
      const ignored = lines.filter((l) => /^\s+-\s+[EWI]\d{4}/.test(l));
      expect(ignored.length).toBeGreaterThan(0);
      for (const line of ignored) expect(line, line).toMatch(/^\s+-\s+[EWI]\d{4}\s+#\s*\S.{10,}/);
    });

    it('every function runs the Node.js runtime with the longest remaining support in cfn-lint\'s lifecycle table, and esbuild targets it', () => {
      const located = spawnSync('python3', ['-c', 'import cfnlint, os; print(os.path.dirname(cfnlint.__file__))'], { encoding: 'utf8' });
      expect(located.status, located.stderr).toBe(0);
      const lifecycle = JSON.parse(readFileSync(join(located.stdout.trim(), 'data', 'AdditionalSpecs', 'LmbdRuntimeLifecycle.json'), 'utf8')) as Record<string, { 'update-block'?: string }>;
      const node = Object.entries(lifecycle).filter(([id]) => /^nodejs\d+\.x$/.test(id));
      expect(node.length).toBeGreaterThan(3);
      const latest = node.reduce((a, b) => ((b[1]['update-block'] ?? '9999') > (a[1]['update-block'] ?? '9999') ? b : a))[0];
      const runtimes = Object.values(packagedTemplate().Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => r.Properties['Runtime']);
      expect(runtimes.length).toBeGreaterThan(5);
      expect(new Set(runtimes)).toEqual(new Set([latest]));
      const target = /^\s+target:\s*(node\d+)/m.exec(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'))?.[1];
      expect(target).toBe(latest.replace(/^nodejs(\d+)\.x$/, 'node$1'));
    }, 300_000);

    it('would fail a deprecated runtime (the check is live, not configured away)', async () => {
      const config = readFileSync(CONFIG, 'utf8');
      expect(config).not.toMatch(/E2533|E2531|W2531/);
      const template = JSON.stringify({
        AWSTemplateFormatVersion: '2010-09-09',
        Resources: {
          Fn: {
            Type: 'AWS::Lambda::Function',
            Properties: { Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::111122223333:role/r', Code: { ZipFile: 'exports.handler=async()=>1' } },
          },
        },
      });
      const dir = mkdtempSync(join(tmpdir(), 'tw-cfnlint-'));
      const file = join(dir, 'deprecated-runtime.json');
      writeFileSync(file, template);
      const run = await runCommand('cfn-lint', ['--format', 'json', file], { cwd: ROOT });
      rmSync(dir, { recursive: true, force: true });
      const ids = (JSON.parse(run.stdout || '[]') as LintMatch[]).map((m) => m.Rule.Id);
      expect(ids).toContain('E2533');
    }, 300_000);
  });
});
