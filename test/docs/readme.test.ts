import { BASELINE_BEHAVIOURS } from '../../shared/baseline/behaviours.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detections } from '../../shared/detections/index.ts';
import { SEVERITIES } from '../../shared/model/types.ts';
import { API_ERROR_RATE_ANOMALY, API_RATE_ANOMALY } from '../../shared/rates/findings.ts';
import { ROOT } from '../helpers/events.ts';
import { packagedTemplate } from '../helpers/packaged.ts';

// The README's and docs/detections.md's detection tables against the registry: a claim a test can
// check, a test checks.

/** Rows of the first markdown table whose header starts with `| id |`, as id -> cells. */
function detectionTable(file: string): Map<string, string[]> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| id |'));
  expect(start, `${file} has a detection table`).toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    rows.set((cells[0] ?? '').replace(/`/g, ''), cells);
  }
  return rows;
}

const cisNumbers = (text: string): string[] => [...text.matchAll(/\b(\d+\.\d+)\b/g)].map((m) => m[1] as string);
const outsideParentheses = (text: string): string => text.replace(/\([^)]*\)/g, '');
const metaCis = (refs: readonly string[] | undefined): string[] => (refs ?? []).map((r) => /CIS (\d+\.\d+)/.exec(r)?.[1]).filter((x): x is string => x !== undefined);
const firstSeverity = (cell: string): string | undefined => cell.split(/[^a-z]+/).find((w) => (SEVERITIES as readonly string[]).includes(w));

const RATE_METAS = [API_RATE_ANOMALY, API_ERROR_RATE_ANOMALY];

describe.each(['README.md', 'docs/detections.md'])('%s detection table', (file) => {
  const rows = detectionTable(file);
  const rateRows = file === 'README.md' ? [...RATE_METAS.map((m) => m.id), ...BASELINE_BEHAVIOURS.map((b) => b.id)] : [];

  it('has one row per registered detection (and, in the README, per rate detector and baseline behaviour), no others', () => {
    expect([...rows.keys()].sort()).toEqual([...detections.map((d) => d.id), ...rateRows].sort());
  });

  if (file === 'README.md')
    for (const b of BASELINE_BEHAVIOURS)
      it(`${b.id}: default severity matches the metadata`, () => {
        expect(firstSeverity((rows.get(b.id) as string[])[2] ?? '')).toBe(b.severity);
      });

  for (const d of detections) {
    it(`${d.id}: default severity, CIS and Security Hub columns match the metadata`, () => {
      const cells = rows.get(d.id) as string[];
      const [, , severity = '', cis = '', hub = ''] = cells;
      expect(firstSeverity(severity), severity).toBe(d.severity);
      // Every CIS control in the metadata is named; controls outside parentheses are all in it.
      const wanted = metaCis(d.references?.cis);
      for (const n of wanted) expect(cisNumbers(cis), `${d.id} CIS ${n}`).toContain(n);
      for (const n of cisNumbers(outsideParentheses(cis))) expect(wanted, `${d.id} CIS ${n} is not in the metadata`).toContain(n);
      const hubIds = hub === '—' ? [] : outsideParentheses(hub).split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== '—');
      expect(hubIds.sort()).toEqual([...(d.references?.securityHub ?? [])].sort());
    });
  }

  it('policy-changed names every resource type whose policy changes it reads', () => {
    const source = readFileSync(join(ROOT, 'shared', 'detections', 'lib', 'policy-change.ts'), 'utf8');
    const targets = new Set([...source.matchAll(/type: '([a-z0-9-]+)'/g)].map((m) => m[1] as string));
    const NAMES: Record<string, string> = { 's3-bucket': 'S3', 'kms-key': 'KMS', 'sns-topic': 'SNS', 'sqs-queue': 'SQS', 'lambda-function': 'Lambda', secret: 'Secrets Manager', 'ecr-repository': 'ECR', 'opensearch-domain': 'OpenSearch' };
    const IDENTITY = new Set(['user', 'group', 'role', 'managed-policy', 'organization-policy', 'organization-target']);
    const cell = rows.get('policy-changed')?.[1] ?? '';
    for (const t of targets) {
      if (IDENTITY.has(t)) continue;
      expect(NAMES[t], `a README name for resource type ${t}`).toBeDefined();
      expect(cell, t).toContain(NAMES[t]);
    }
  });
});

describe('README deploy prerequisites', () => {
  // The CloudFormation namespace of each resource type the packaged stack creates, as the README
  // names the service. A type from a new namespace fails here until the README names it.
  const NAMES: Record<string, string> = {
    S3: 'S3',
    Logs: 'CloudWatch Logs',
    Lambda: 'Lambda',
    Events: 'EventBridge',
    KMS: 'KMS',
    SNS: 'SNS',
    SQS: 'SQS',
    IAM: 'IAM',
    CloudWatch: 'CloudWatch',
    DynamoDB: 'DynamoDB',
  };

  it('name every AWS service whose resources the packaged stack creates (both modes), and the SSM parameter', () => {
    const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = text.indexOf('Prerequisites:');
    expect(start).toBeGreaterThan(0);
    const prerequisites = text.slice(start, text.indexOf('\n\n', text.indexOf('\n- ', start)));
    const { Resources } = packagedTemplate();
    const namespaces = [...new Set(Object.values(Resources).map((r) => r.Type.split('::')[1] as string))].sort();
    expect(namespaces.length).toBeGreaterThan(5);
    for (const ns of namespaces) {
      expect(NAMES[ns], `a README name for AWS::${ns}::*`).toBeDefined();
      expect(prerequisites, `AWS::${ns}::*`).toContain(NAMES[ns]);
    }
    expect(prerequisites).toContain('CloudFormation');
    expect(prerequisites).toMatch(/SSM SecureString/);
  }, 300_000);
});
