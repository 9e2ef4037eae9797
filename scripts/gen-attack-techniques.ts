/**
 * Writes `shared/coverage/data/attack-techniques.json`: every MITRE ATT&CK Enterprise technique and
 * sub-technique (id, name, tactics, platforms, and whether it is revoked or deprecated), so tests can
 * check that each detection's `references.mitre` names a real, current technique, and docs can print
 * its name. The snapshot is small (names only, no descriptions) and dated by the ATT&CK version.
 *
 * Sources, STIX 2.1 as MITRE publishes them (https://github.com/mitre/cti, Apache-2.0 data):
 *   where a network exists:  npx tsx scripts/gen-attack-techniques.ts
 *                            (downloads enterprise-attack/enterprise-attack.json)
 *   from a bundle file:      npx tsx scripts/gen-attack-techniques.ts path/to/enterprise-attack.json
 *   from a mitre/cti checkout's per-object folders (no bundle needed):
 *                            npx tsx scripts/gen-attack-techniques.ts path/to/cti/enterprise-attack --version 18.1
 * `--check SOURCE` exits 1 when the committed snapshot differs from what SOURCE gives.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttackTechnique } from '../shared/coverage/attack-techniques.ts';

export const SNAPSHOT_PATH = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'shared', 'coverage', 'data', 'attack-techniques.json');
export const SOURCE_URL = 'https://raw.githubusercontent.com/mitre/cti/master/enterprise-attack/enterprise-attack.json';

/** The STIX fields read here (attack-pattern, x-mitre-tactic and x-mitre-collection objects). */
interface StixObject {
  type: string;
  name?: string;
  revoked?: boolean;
  x_mitre_deprecated?: boolean;
  x_mitre_platforms?: string[];
  x_mitre_shortname?: string;
  x_mitre_version?: string;
  modified?: string;
  kill_chain_phases?: Array<{ kill_chain_name: string; phase_name: string }>;
  external_references?: Array<{ source_name: string; external_id?: string }>;
}

export interface AttackSnapshot {
  source: string;
  attackVersion: string;
  /** Latest `modified` date among the techniques: how current the snapshot is. */
  modified: string;
  techniques: Record<string, AttackTechnique>;
}

const attackId = (o: StixObject): string | undefined => o.external_references?.find((r) => r.source_name === 'mitre-attack')?.external_id;

/** The snapshot from STIX objects; techniques sorted by id (numeric order), fields in a fixed order. */
export function snapshotFrom(objects: readonly StixObject[], attackVersion: string, source: string): AttackSnapshot {
  const techniques: Array<[string, AttackTechnique]> = [];
  let modified = '';
  for (const o of objects) {
    if (o.type !== 'attack-pattern') continue;
    const id = attackId(o);
    if (!id || !/^T\d{4}(\.\d{3})?$/.test(id)) continue;
    const tactics = (o.kill_chain_phases ?? []).filter((p) => p.kill_chain_name === 'mitre-attack').map((p) => p.phase_name);
    techniques.push([
      id,
      {
        name: o.name ?? '',
        tactics: [...new Set(tactics)].sort(),
        platforms: [...new Set(o.x_mitre_platforms ?? [])].sort(),
        ...(o.revoked === true ? { revoked: true as const } : {}),
        ...(o.x_mitre_deprecated === true ? { deprecated: true as const } : {}),
      },
    ]);
    if (o.modified && o.modified > modified) modified = o.modified;
  }
  techniques.sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  return { source, attackVersion, modified, techniques: Object.fromEntries(techniques) };
}

/** Every STIX object in a bundle file or in the per-type folders of a mitre/cti domain folder. */
function readObjects(path: string): StixObject[] {
  if (statSync(path).isDirectory()) {
    const objects: StixObject[] = [];
    for (const folder of ['attack-pattern', 'x-mitre-collection']) {
      const dir = join(path, folder);
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        objects.push(...((JSON.parse(readFileSync(join(dir, file), 'utf8')) as { objects?: StixObject[] }).objects ?? []));
      }
    }
    return objects;
  }
  const bundle = JSON.parse(readFileSync(path, 'utf8')) as { objects?: StixObject[] };
  return bundle.objects ?? [];
}

function versionOf(objects: readonly StixObject[]): string | undefined {
  return objects.find((o) => o.type === 'x-mitre-collection')?.x_mitre_version;
}

async function main(argv: string[]): Promise<void> {
  const check = argv.indexOf('--check');
  const at = argv.indexOf('--version');
  const givenVersion = at >= 0 ? argv[at + 1] : undefined;
  const positional = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--version' && argv[i - 1] !== '--check');
  const input = check >= 0 ? argv[check + 1] : positional[0];
  let objects: StixObject[];
  let source: string;
  if (input) {
    objects = readObjects(input);
    source = 'mitre/cti enterprise-attack (STIX 2.1)';
  } else {
    const response = await fetch(SOURCE_URL);
    if (!response.ok) throw new Error(`GET ${SOURCE_URL}: HTTP ${response.status}`);
    objects = ((await response.json()) as { objects?: StixObject[] }).objects ?? [];
    source = SOURCE_URL;
  }
  const version = givenVersion ?? versionOf(objects);
  if (!version) throw new Error('the source has no x-mitre-collection object: say the ATT&CK version with --version');
  const snapshot = snapshotFrom(objects, version, source);
  // One technique a line: small, and a refresh diffs technique by technique.
  const lines = Object.entries(snapshot.techniques).map(([id, t]) => `  ${JSON.stringify(id)}: ${JSON.stringify(t)}`);
  const text = `{\n "source": ${JSON.stringify(snapshot.source)},\n "attackVersion": ${JSON.stringify(snapshot.attackVersion)},\n "modified": ${JSON.stringify(snapshot.modified)},\n "techniques": {\n${lines.join(',\n')}\n }\n}\n`;
  if (check >= 0) {
    const same = existsSync(SNAPSHOT_PATH) && JSON.stringify((JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8')) as AttackSnapshot).techniques) === JSON.stringify(snapshot.techniques);
    process.stdout.write(same ? 'attack-techniques.json is current\n' : 'attack-techniques.json differs from the source\n');
    process.exit(same ? 0 : 1);
  }
  mkdirSync(dirname(SNAPSHOT_PATH), { recursive: true });
  writeFileSync(SNAPSHOT_PATH, text);
  const count = Object.keys(snapshot.techniques).length;
  process.stdout.write(`wrote ${SNAPSHOT_PATH}: ATT&CK v${version}, ${count} techniques, modified ${snapshot.modified}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
