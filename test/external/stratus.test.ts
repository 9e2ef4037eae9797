import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRATUS_NOT_DETECTED } from '../../shared/coverage/index.ts';
import { detections } from '../../shared/detections/index.ts';
import { normalize } from '../../shared/model/normalize.ts';
import type { TrailEvent } from '../../shared/model/types.ts';
import { runDetections } from '../../shared/pipeline/run-detections.ts';
import { RateProcessor } from '../../shared/rates/processor.ts';
import { EXTERNAL_DIR, hasExternal } from '../helpers/events.ts';

// Every Stratus Red Team detonation log replayed through every detection. Which detections must fire
// per technique comes from the detections' own metadata (`references.stratus`, also shown in
// docs/coverage.md); NOT_DETECTED (shared/coverage/stratus.ts, also in the doc) lists the techniques no per-event detection catches, each with the
// reason. A technique that fires something its metadata does not list fails the test until it does.
const NOT_DETECTED = STRATUS_NOT_DETECTED;

/** technique -> detections whose metadata says they catch it. */
function expectedFires(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of detections) for (const t of d.references.stratus ?? []) (out[t] ??= []).push(d.id);
  for (const list of Object.values(out)) list.sort();
  return out;
}

const DIR = join(EXTERNAL_DIR, 'stratus');

describe.skipIf(!hasExternal('stratus'))('Stratus Red Team detonations', () => {
  const files = hasExternal('stratus') ? readdirSync(DIR).filter((f) => f.endsWith('.json')).sort() : [];
  const results = files.map((file) => {
    const technique = file.replace(/\.json$/, '');
    const records = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as unknown[];
    const run = runDetections(records.map((value, i) => ({ value, origin: `${file}#${i}` })), detections);
    return { technique, records: records.length, run, fired: [...new Set(run.findings.map((f) => f.detection))].sort() };
  });

  const EXPECTED = expectedFires();

  it('every technique is either caught per the metadata or justified, and every name is a real file', () => {
    const techniques = files.map((f) => f.replace(/\.json$/, ''));
    expect([...Object.keys(EXPECTED), ...Object.keys(NOT_DETECTED)].sort()).toEqual(techniques);
    expect(Object.keys(EXPECTED).filter((t) => NOT_DETECTED[t] !== undefined)).toEqual([]);
  });

  it('normalises every record (anonymised regions like eu-west-2r are accepted) without detection errors', () => {
    for (const r of results) {
      expect(r.run.skips, r.technique).toEqual([]);
      expect(r.run.errors, r.technique).toEqual([]);
      expect(r.run.events).toHaveLength(r.records);
    }
  });

  it('fires exactly the expected detections per technique', () => {
    const table = results.map((r) => `${r.technique.padEnd(62)} ${r.fired.join(', ') || '-'}`);
    const detected = results.filter((r) => r.fired.length > 0).length;
    console.log(`Stratus: ${detected}/${results.length} techniques detected\n${table.join('\n')}`);
    for (const r of results) expect(r.fired, r.technique).toEqual(EXPECTED[r.technique] ?? []);
    expect(detected).toBeGreaterThanOrEqual(32);
  });

  it('grades the core techniques as a responder would', () => {
    const sev = (t: string, d: string) => results.find((r) => r.technique === t)?.run.findings.filter((f) => f.detection === d).map((f) => f.severity);
    expect(sev('aws.defense-evasion.cloudtrail-stop', 'trail-tampering')).toEqual(['critical']);
    expect(sev('aws.defense-evasion.cloudtrail-delete', 'trail-tampering')).toEqual(['critical']);
    expect(sev('aws.defense-evasion.cloudtrail-event-selectors', 'trail-tampering')).toEqual(['high']);
    expect(sev('aws.exfiltration.ec2-security-group-open-port-22-ingress', 'security-group-changes')).toEqual(['high']);
    expect(sev('aws.persistence.iam-create-admin-user', 'policy-changed')).toEqual(['critical']);
    expect(sev('aws.persistence.iam-backdoor-role', 'policy-changed')).toEqual(['medium']);
    expect(sev('aws.exfiltration.ec2-share-ebs-snapshot', 'snapshot-sharing')).toEqual(['high']);
    expect(sev('aws.persistence.rolesanywhere-create-trust-anchor', 'identity-provider-changes')).toEqual(['high', 'medium']);
    // The detonation's session policy allows "*".
    expect(sev('aws.persistence.sts-federation-token', 'console-federation')).toEqual(['high']);
    expect(sev('aws.execution.ec2-user-data', 'ec2-instance-secrets')).toEqual(['medium']);
    // 30 denied GetPasswordData calls: each a low finding (the digest groups them).
    expect(sev('aws.credential-access.ec2-get-password-data', 'ec2-instance-secrets')).toEqual(Array(30).fill('low'));
  });

  it('the undetected techniques stay below the API-rate detector too, as their reasons say', async () => {
    for (const technique of Object.keys(NOT_DETECTED)) {
      const records = JSON.parse(readFileSync(join(DIR, `${technique}.json`), 'utf8')) as unknown[];
      const events = records.map((r) => normalize(r)).flatMap((n) => (n.ok ? [n.event] : [])).sort((a: TrailEvent, b: TrailEvent) => a.timeMs - b.timeMs);
      const reads = events.filter((e) => /^(BatchGetSecretValue|GetSecretValue|GetParameters?)$/.test(e.name));
      expect(reads.length, technique).toBeGreaterThan(0);
      expect(NOT_DETECTED[technique], technique).toContain(`${reads.length} calls`);
      const rates = new RateProcessor();
      const findings = [...(await rates.process(events)), ...(await rates.flush())];
      expect(findings.map((f) => f.detection), technique).toEqual([]);
    }
  });
});
