import type { OrgAccountEntry, TeamEntry } from './types.ts';

/**
 * The part of the tuning file the notifier needs — `organization` (names, OUs) and
 * `routing.teams` — from the packaged JSON (`trailwatch.config.json`, which the package step writes
 * from the checked-in YAML after validating it: scripts/esbuild-plugins.cjs). Neither the YAML
 * parser nor the schema validator is in the notify bundle; detect checks the same packaged file
 * completely at cold start (and refuses an invalid one), `trailwatch config validate` and the
 * tests check it before a deploy. This reader still refuses wrong shapes, so a file it reads is one
 * the schema also accepts for these fields.
 */
export interface NotifyTuning {
  organization?: { id?: string; accounts?: OrgAccountEntry[] };
  teams: TeamEntry[];
}

export class TuningSubsetError extends Error {
  override name = 'TuningSubsetError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown, where: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length > 0)) throw new TuningSubsetError(`${where} must be a list of strings`);
  return v as string[];
};

export function readNotifyTuning(text: string): NotifyTuning {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new TuningSubsetError(`not JSON (the package step writes trailwatch.config.json from the YAML): ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) throw new TuningSubsetError('the file is not a mapping');
  const out: NotifyTuning = { teams: [] };
  const org = doc['organization'];
  if (org !== undefined) {
    if (!isObject(org)) throw new TuningSubsetError('organization must be a mapping');
    const accounts: OrgAccountEntry[] = [];
    const list = org['accounts'] ?? [];
    if (!Array.isArray(list)) throw new TuningSubsetError('organization.accounts must be a list');
    list.forEach((a: unknown, i) => {
      if (!isObject(a) || typeof a['id'] !== 'string' || !/^\d{12}$/.test(a['id'])) throw new TuningSubsetError(`organization.accounts.${i}.id must be a 12-digit account id`);
      const name = a['name'];
      const ou = a['ou'];
      if (name !== undefined && typeof name !== 'string') throw new TuningSubsetError(`organization.accounts.${i}.name must be a string`);
      if (ou !== undefined && typeof ou !== 'string') throw new TuningSubsetError(`organization.accounts.${i}.ou must be a string`);
      accounts.push({ id: a['id'], ...(name ? { name } : {}), ...(ou ? { ou } : {}) });
    });
    out.organization = { ...(typeof org['id'] === 'string' ? { id: org['id'] } : {}), accounts };
  }
  const routing = doc['routing'];
  if (routing !== undefined) {
    if (!isObject(routing)) throw new TuningSubsetError('routing must be a mapping');
    const teams = routing['teams'] ?? [];
    if (!Array.isArray(teams)) throw new TuningSubsetError('routing.teams must be a list');
    teams.forEach((t: unknown, i) => {
      if (!isObject(t) || typeof t['name'] !== 'string' || typeof t['slackWebhookParameter'] !== 'string') throw new TuningSubsetError(`routing.teams.${i} needs a name and a slackWebhookParameter`);
      const accounts = strings(t['accounts'], `routing.teams.${i}.accounts`);
      const ous = strings(t['ous'], `routing.teams.${i}.ous`);
      out.teams.push({ name: t['name'], slackWebhookParameter: t['slackWebhookParameter'], ...(accounts ? { accounts } : {}), ...(ous ? { ous } : {}) });
    });
  }
  return out;
}
