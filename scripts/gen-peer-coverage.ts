// Writes docs/peer-coverage.md from test/external/peer-coverage.json (shared/coverage/peer-coverage.ts).
// `--check` exits 1 when the committed file is stale; test/external/peer-coverage.test.ts fails the same way.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerCoverageMarkdown, type PeerCoverage } from '../shared/coverage/peer-coverage.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const data = JSON.parse(readFileSync(join(root, 'test', 'external', 'peer-coverage.json'), 'utf8')) as PeerCoverage;
const target = join(root, 'docs', 'peer-coverage.md');
const body = peerCoverageMarkdown(data);
let current = '';
try {
  current = readFileSync(target, 'utf8');
} catch {
  // first run: no file yet
}
if (process.argv.includes('--check')) {
  if (current !== body) {
    console.error('docs/peer-coverage.md is stale: run npx tsx scripts/gen-peer-coverage.ts');
    process.exit(1);
  }
} else if (current !== body) writeFileSync(target, body);
