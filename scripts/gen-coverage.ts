// Writes docs/coverage.md from the detection metadata (shared/coverage). `--check` exits 1 when the
// committed file is stale; test/coverage/coverage.test.ts fails the same way.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coverageMarkdown, coverageSources } from '../shared/coverage/index.ts';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'coverage.md');
const body = coverageMarkdown(coverageSources());
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // first run: no file yet
}
if (process.argv.includes('--check')) {
  if (current !== body) {
    console.error('docs/coverage.md is stale: run npx tsx scripts/gen-coverage.ts');
    process.exit(1);
  }
} else if (current !== body) writeFileSync(target, body);
