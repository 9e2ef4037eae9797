/**
 * The MITRE ATT&CK Enterprise technique snapshot (`data/attack-techniques.json`, written by
 * scripts/gen-attack-techniques.ts from MITRE's STIX data): names, tactics and platforms, so docs and
 * the Navigator layer can name what a detection claims and tests can check the ids are real.
 */
import snapshot from './data/attack-techniques.json' with { type: 'json' };

export interface AttackTechnique {
  name: string;
  tactics: string[];
  platforms: string[];
  revoked?: true;
  deprecated?: true;
}

const techniques = snapshot.techniques as Record<string, AttackTechnique>;

/** The ATT&CK release the snapshot was taken from (e.g. "18.1"). */
export const ATTACK_VERSION: string = snapshot.attackVersion;

/** The technique or sub-technique with this id (e.g. "T1098.003"), if ATT&CK has it. */
export function attackTechnique(id: string): AttackTechnique | undefined {
  return Object.hasOwn(techniques, id) ? techniques[id] : undefined;
}
