import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATTACK_VERSION, attackTechnique } from '../../shared/coverage/attack-techniques.ts';
import { BASELINE_BEHAVIOURS } from '../../shared/baseline/behaviours.ts';
import { detections } from '../../shared/detections/index.ts';
import { snapshotFrom } from '../../scripts/gen-attack-techniques.ts';
import { ROOT } from '../helpers/events.ts';

/** Platforms of techniques a CloudTrail management event cannot show on its own. */
const HOST_ONLY = new Set(['Windows', 'macOS']);

describe('MITRE ATT&CK references are real, current techniques (snapshot of ATT&CK Enterprise)', () => {
  it('the snapshot is a real ATT&CK release with its well-known cloud techniques', () => {
    expect(ATTACK_VERSION).toMatch(/^\d+\.\d+$/);
    expect(attackTechnique('T1078.004')?.name).toBe('Cloud Accounts');
    expect(attackTechnique('T1562.008')?.name).toBe('Disable or Modify Cloud Logs');
    expect(attackTechnique('T1098.003')?.platforms).toContain('IaaS');
    expect(attackTechnique('T9999')).toBeUndefined();
    expect(attackTechnique('constructor')).toBeUndefined();
  });

  it.each([...detections, ...BASELINE_BEHAVIOURS].map((d) => [d.id, d.references.mitre ?? []] as const))('%s: every technique id exists, is neither revoked nor deprecated, and is not host-only', (_id, ids) => {
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      const t = attackTechnique(id);
      expect({ id, known: t !== undefined }).toEqual({ id, known: true });
      expect({ id, revoked: t?.revoked ?? false, deprecated: t?.deprecated ?? false }).toEqual({ id, revoked: false, deprecated: false });
      // A Windows- or macOS-only technique (Group Policy, access tokens) is a mapping error for an AWS API call.
      expect({ id, name: t?.name, hostOnly: (t?.platforms ?? []).every((p) => HOST_ONLY.has(p)) }).toEqual({ id, name: t?.name, hostOnly: false });
    }
  });

  it('the generator keeps techniques and sub-techniques, flags revoked and deprecated ones, and ignores other objects', () => {
    const ref = (id: string) => [{ source_name: 'mitre-attack', external_id: id }];
    const snap = snapshotFrom(
      [
        { type: 'attack-pattern', name: 'Valid Accounts', external_references: ref('T1078'), x_mitre_platforms: ['IaaS', 'Windows'], kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'persistence' }], modified: '2025-01-02T00:00:00Z' },
        { type: 'attack-pattern', name: 'Cloud Accounts', external_references: ref('T1078.004'), x_mitre_platforms: ['IaaS'], modified: '2025-03-04T00:00:00Z' },
        { type: 'attack-pattern', name: 'Old', external_references: ref('T1108'), revoked: true },
        { type: 'attack-pattern', name: 'Gone', external_references: ref('T1064'), x_mitre_deprecated: true },
        { type: 'attack-pattern', name: 'CAPEC only', external_references: [{ source_name: 'capec', external_id: 'CAPEC-1' }] },
        { type: 'x-mitre-tactic', name: 'Persistence', external_references: ref('TA0003') },
      ],
      '18.1',
      'test',
    );
    expect(Object.keys(snap.techniques)).toEqual(['T1064', 'T1078', 'T1078.004', 'T1108']);
    expect(snap.techniques['T1078']).toEqual({ name: 'Valid Accounts', tactics: ['persistence'], platforms: ['IaaS', 'Windows'] });
    expect(snap.techniques['T1108']?.revoked).toBe(true);
    expect(snap.techniques['T1064']?.deprecated).toBe(true);
    expect(snap.modified).toBe('2025-03-04T00:00:00Z');
  });

  it('docs/coverage.md states the ATT&CK version the names come from', () => {
    expect(readFileSync(join(ROOT, 'docs', 'coverage.md'), 'utf8')).toContain(`ATT&CK Enterprise v${ATTACK_VERSION}`);
  });
});
