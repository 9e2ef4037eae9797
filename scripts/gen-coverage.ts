// Writes docs/coverage.md from the detection metadata (shared/coverage) and docs/peer-coverage.md from
// test/external/peer-coverage.json. `--check` exits 1 when a committed file is stale;
// test/coverage/coverage.test.ts and test/external/peer-coverage.test.ts fail the same way.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coverageMarkdown, coverageSources } from '../shared/coverage/index.ts';
import { peerCoverageMarkdown, type PeerCoverage } from '../shared/coverage/peer-coverage.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const peerData = JSON.parse(readFileSync(join(root, 'test', 'external', 'peer-coverage.json'), 'utf8')) as PeerCoverage;
const outputs: Array<[string, string]> = [
  ['coverage.md', coverageMarkdown(coverageSources())],
  ['peer-coverage.md', peerCoverageMarkdown(peerData)],
];

let stale = false;
for (const [name, body] of outputs) {
  const target = join(root, 'docs', name);
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // first run: no file yet
  }
  if (current === body) continue;
  if (process.argv.includes('--check')) {
    console.error(`docs/${name} is stale: run npx tsx scripts/gen-coverage.ts`);
    stale = true;
  } else writeFileSync(target, body);
}
if (stale) process.exit(1);
