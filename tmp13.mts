import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { matchesPattern } from './shared/pipeline/event-pattern.ts';
const t = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json','utf8'));
const rules = Object.entries(t.Resources).filter(([,r]: any) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern) as any[];
let n=0;
for (const f of readdirSync('events')) { if (!statSync(join('events',f)).isDirectory()) continue;
  for (const s of readdirSync(join('events',f)).filter(x=>x.endsWith('.json'))) { n++;
    const ev = JSON.parse(readFileSync(join('events',f,s),'utf8'));
    const m = rules.filter(([,r]) => matchesPattern(r.Properties.EventPattern, ev)).map(([id])=>id);
    if (m.filter(x=>x!=='RatesRule').length>1 || m.length===0) console.log(f+'/'+s, m.join(','));
  }}
console.log(n, 'samples');
console.log(JSON.stringify(rules[0][1], null, 1).slice(0, 1500));
