import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, validatePolicy } from '../../shared/policy/index.ts';
import type { PolicyKind } from '../../shared/policy/index.ts';
import { ROOT } from '../helpers/events.ts';
import { PARITY } from './validation-parity.ts';
import type { ParityRow } from './validation-parity.ts';

function documentOf(row: ParityRow): unknown {
  const ex = row.example as Record<string, unknown>;
  if ('__text__' in ex) return ex['__text__'];
  if ('__doc__' in ex) return ex['__doc__'];
  if ('__scpbig__' in ex) {
    return { Version: '2012-10-17', Statement: Array.from({ length: 120 }, (_, i) => ({ Sid: `S${i}`, Effect: 'Deny', Action: 's3:PutObject', Resource: `arn:aws:s3:::bucket-${i}/*` })) };
  }
  return { Version: '2012-10-17', Statement: [ex] };
}

const tableRow = (r: ParityRow): string => `| ${r.source} | ${r.check} | ${r.type} | ${r.status} | ${r.code ? `\`${r.code}\`` : '—'} | ${r.note ?? ''} |`;

describe('validation parity with IAM Access Analyzer and Parliament', () => {
  it('has every Access Analyzer ERROR and SECURITY_WARNING check and every Parliament category', () => {
    expect(PARITY.filter((r) => r.type === 'ERROR')).toHaveLength(73);
    expect(PARITY.filter((r) => r.type === 'SECURITY_WARNING')).toHaveLength(14);
    expect(PARITY.filter((r) => r.source === 'Parliament')).toHaveLength(21);
  });

  for (const row of PARITY.filter((r) => r.status !== 'not covered' && r.status !== 'obsolete')) {
    it(`${row.source}: ${row.check} -> ${row.code}`, () => {
      expect(row.example, 'a covered check needs an example').toBeDefined();
      const kind = (row.kind ?? (row.example && '__scpbig__' in row.example ? 'scp' : 'identity')) as PolicyKind;
      const doc = documentOf(row);
      const codes = (d: unknown): string[] =>
        row.status === 'covered (analysis)' ? analyze(d, { kind, account: '111122223333' }).findings.map((f) => f.id) : validatePolicy(d, { kind }).issues.map((i) => i.code);
      expect(codes(doc)).toContain(row.code);
      // The near-miss (same kind, one thing different) must not raise it.
      if (row.nearMiss) expect(codes(documentOf({ ...row, example: row.nearMiss }))).not.toContain(row.code);
    });
  }

  it('every check added with the catalogue-based checks has a near-miss, and not-covered or obsolete rows say why', () => {
    for (const r of PARITY) {
      if (r.status === 'not covered' || r.status === 'obsolete') expect(r.note, r.check).toBeTruthy();
    }
    expect(PARITY.filter((r) => r.nearMiss).length).toBeGreaterThanOrEqual(20);
  });

  it('docs/policy-engine.md carries exactly this table, with its totals', () => {
    const text = readFileSync(join(ROOT, 'docs', 'policy-engine.md'), 'utf8');
    const section = text.split('<!-- parity-table -->')[1] ?? '';
    const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| source') && !l.startsWith('|---'));
    expect(rows).toEqual(PARITY.map(tableRow));
    const count = (source: string, type: string, status: string) => PARITY.filter((r) => r.source === source && r.type === type && r.status === status).length;
    const errors = `${count('Access Analyzer', 'ERROR', 'covered')} covered and ${count('Access Analyzer', 'ERROR', 'partial')} partly of 73 ERROR checks (${count('Access Analyzer', 'ERROR', 'obsolete')} obsolete, ${count('Access Analyzer', 'ERROR', 'not covered')} not covered)`;
    const warnings = `${count('Access Analyzer', 'SECURITY_WARNING', 'covered') + count('Access Analyzer', 'SECURITY_WARNING', 'covered (analysis)')} of 14 SECURITY_WARNING checks (${count('Access Analyzer', 'SECURITY_WARNING', 'covered (analysis)')} of them by the analyzer's findings)`;
    const parliament = `${count('Parliament', 'category', 'covered')} covered and ${count('Parliament', 'category', 'partial')} partly of Parliament's 21 categories`;
    for (const claim of [errors, warnings, parliament]) expect(text).toContain(claim);
  });
});
