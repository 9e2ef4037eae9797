import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './events.ts';

/** Where `serverless package --stage ci` writes the templates and one zip per function. */
export const PACKAGE_DIR = join(ROOT, '.serverless');
export const TEMPLATE = join(PACKAGE_DIR, 'cloudformation-template-update-stack.json');

/** Newest modification time of everything the packaged stack is built from. */
function newestInput(): number {
  const files = [join(ROOT, 'serverless.yml'), join(ROOT, 'package-lock.json'), join(ROOT, 'scripts', 'event-rules.ts'), join(ROOT, 'scripts', 'event-rules.cjs'), join(ROOT, 'scripts', 'esbuild-plugins.cjs'), join(ROOT, 'scripts', 'tuning-json.ts'), join(ROOT, 'trailwatch.config.yaml')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(join(ROOT, 'shared'));
  walk(join(ROOT, 'functions'));
  return Math.max(...files.filter(existsSync).map((f) => statSync(f).mtimeMs));
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Makes sure `.serverless/` holds a package of the current sources: `npm test` packages before
 * vitest, so this normally only reads; a test file run on its own after an edit packages here.
 * Test files run in parallel, so packaging takes a lock (a directory in the OS temp folder) and
 * whoever waited re-checks freshness instead of packaging again.
 */
export function ensurePackaged(): void {
  const fresh = (): boolean => existsSync(TEMPLATE) && statSync(TEMPLATE).mtimeMs >= newestInput() && existsSync(join(PACKAGE_DIR, 'detect.zip'));
  if (fresh()) return;
  const lock = join(tmpdir(), `trailwatch-package-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 5 minutes belongs to a run that died; anything younger is packaging now.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      sleep(250);
    }
  }
  try {
    if (fresh()) return;
    execFileSync(join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'ci'], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The packaged CloudFormation template (packaging first when it is missing or stale). */
export function packagedTemplate<T = { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }> }>(): T {
  ensurePackaged();
  return JSON.parse(readFileSync(TEMPLATE, 'utf8')) as T;
}
