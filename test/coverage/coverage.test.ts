import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../shared/cli/coverage.ts';
import { attackLayer, coverageMarkdown, coverageSources, techniqueIndex } from '../../shared/coverage/index.ts';
import { attackTechnique } from '../../shared/coverage/attack-techniques.ts';
import { BASELINE_BEHAVIOURS } from '../../shared/baseline/behaviours.ts';
import { detections } from '../../shared/detections/index.ts';
import { ROOT } from '../helpers/events.ts';

const ATTACK_ID = /^T\d{4}(\.\d{3})?$/;

function capture() {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (c: Buffer) => (chunks.out += c.toString()));
  err.on('data', (c: Buffer) => (chunks.err += c.toString()));
  return { io: { stdout: out, stderr: err }, chunks };
}

describe('docs/coverage.md', () => {
  it('is exactly what the detection metadata generates (run npx tsx scripts/gen-coverage.ts when this fails)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'coverage.md'), 'utf8')).toBe(coverageMarkdown(coverageSources()));
  });

  it('lists every detection and baseline behaviour, and each names at least one well-formed ATT&CK technique', () => {
    const doc = coverageMarkdown(coverageSources());
    for (const d of detections) expect(doc, d.id).toContain(`| \`${d.id}\`${d.needsTuning ? ' (needs tuning)' : ''} — `);
    // A detection inactive at zero configuration says so, with the tuning key it needs.
    for (const d of detections.filter((x) => x.needsTuning)) expect(doc, d.id).toContain(`| \`${d.id}\` | \`${d.needsTuning?.key}\` |`);
    for (const d of BASELINE_BEHAVIOURS) expect(doc, d.id).toContain(`| \`${d.id}\` (baseline) — `);
    expect(attackLayer(coverageSources()).techniques.find((t) => t.techniqueID === 'T1199')?.comment).toContain('unusual-role-assumption');
    for (const d of [...detections, ...BASELINE_BEHAVIOURS]) {
      expect(d.references.mitre?.length ?? 0, d.id).toBeGreaterThan(0);
      for (const t of d.references.mitre ?? []) expect(t, d.id).toMatch(ATTACK_ID);
    }
  });

  it('every detection says what routine looks like for it (the noise model needs it)', () => {
    const missing = [...detections, ...BASELINE_BEHAVIOURS].filter((d) => d.routine === undefined).map((d) => d.id);
    // Detections written before the routine contract are wt-10a's to annotate; new ones must carry it.
    const newer = [...BASELINE_BEHAVIOURS.map((b) => b.id), 'bedrock-changes', 'compromised-key-quarantine', 'console-federation', 'data-protection-changes', 'ec2-data-export', 'ec2-gpu-instance-launch', 'ec2-instance-secrets', 'ec2-remote-access-keys', 'ecr-registry-policy', 'iam-identity-changes', 'identity-provider-changes', 'lambda-code-changes', 'monitoring-tampering', 'offensive-tool-user-agent', 'rds-changes', 'region-enabled', 'route53-domain-transfer', 'ses-identity-deleted', 'snapshot-sharing', 'ssm-remote-access'];
    expect(missing.filter((id) => newer.includes(id))).toEqual([]);
  });
});

describe('ATT&CK Navigator layer', () => {
  const layer = attackLayer(coverageSources());
  const index = techniqueIndex(coverageSources());

  it('is a layer-format 4.5 enterprise layer', () => {
    expect(layer.versions).toEqual({ attack: '18', navigator: '5.1.0', layer: '4.5' });
    expect(layer.domain).toBe('enterprise-attack');
    expect(typeof layer.name).toBe('string');
    expect(JSON.parse(JSON.stringify(layer))).toEqual(layer);
  });

  it('scores each covered technique by the number of detections that claim it, naming them', () => {
    for (const [technique, ids] of index) {
      const entry = layer.techniques.find((t) => t.techniqueID === technique);
      expect(entry, technique).toBeDefined();
      expect(entry?.score, technique).toBe(ids.length);
      expect(entry?.metadata.map((m) => m.value).sort(), technique).toEqual([...ids].sort());
    }
    for (const t of layer.techniques) expect(t.techniqueID).toMatch(ATTACK_ID);
    expect(layer.gradient.maxValue).toBe(Math.max(...[...index.values()].map((ids) => ids.length)));
  });

  it('filters on platforms that leave every covered technique visible (the Navigator hides a technique with none of them)', () => {
    const filter = new Set(layer.filters.platforms);
    for (const t of layer.techniques) {
      const platforms = attackTechnique(t.techniqueID)?.platforms ?? [];
      expect({ id: t.techniqueID, visible: platforms.some((p) => filter.has(p)) }).toEqual({ id: t.techniqueID, visible: true });
    }
    // Techniques outside the cloud platforms that Trailwatch claims: SSH keys (Linux/macOS/ESXi), acquiring domains (PRE).
    expect(layer.filters.platforms).toEqual(expect.arrayContaining(['IaaS', 'Identity Provider', 'SaaS', 'Linux', 'PRE']));
    // …and no host platform that no covered technique needs.
    expect(layer.filters.platforms).not.toContain('Windows');
    // Only platform names the ATT&CK data uses (Navigator matches them by name).
    const known = new Set([...index.keys()].flatMap((id) => attackTechnique(id)?.platforms ?? []));
    for (const p of layer.filters.platforms) expect(known.has(p), p).toBe(true);
  });

  it('expands parents of covered sub-techniques (T1098 shows T1098.001)', () => {
    expect(layer.techniques.find((t) => t.techniqueID === 'T1098')?.showSubtechniques).toBe(true);
    // T1552 is claimed directly and through .001/.005.
    const parentOnly = [...index.keys()].filter((t) => t.includes('.')).map((t) => t.split('.')[0] as string).filter((p) => !index.has(p));
    for (const p of parentOnly) expect(layer.techniques.find((t) => t.techniqueID === p)).toMatchObject({ score: 0, showSubtechniques: true });
  });
});

describe('trailwatch coverage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trailwatch-coverage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--attack-layer FILE writes the layer JSON to the file', async () => {
    const { io, chunks } = capture();
    const file = join(dir, 'layer.json');
    expect(await run(['--attack-layer', file], io)).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(attackLayer(coverageSources()));
    expect(chunks.err).toContain('wrote ATT&CK Navigator layer');
  });

  it('--attack-layer without a file writes the layer to stdout', async () => {
    const { io, chunks } = capture();
    expect(await run(['--attack-layer'], io)).toBe(0);
    expect(JSON.parse(chunks.out)).toEqual(attackLayer(coverageSources()));
  });

  it('without options prints the coverage report; unknown options are a usage error', async () => {
    const a = capture();
    expect(await run([], a.io)).toBe(0);
    expect(a.chunks.out).toBe(coverageMarkdown(coverageSources()));
    const b = capture();
    expect(await run(['--bogus'], b.io)).toBe(1);
    expect(b.chunks.err).toContain('usage: trailwatch coverage');
  });

  it('reports a file it cannot write instead of crashing', async () => {
    const { io, chunks } = capture();
    expect(await run(['--attack-layer', join(dir, 'missing-dir', 'layer.json')], io)).toBe(1);
    expect(chunks.err).toContain('cannot write');
  });
});
