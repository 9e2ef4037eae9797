import { regionNameProblem } from '../detections/lib/regions.ts';
import { parseCidr } from '../policy/ip.ts';
import type { TuningConfig } from './types.ts';

/**
 * The checks of a tuning configuration that need no schema validator: the rules a schema cannot
 * say (known detection ids, real dates and expiry warnings, CIDRs, teams) and the types every check
 * reports with. The schema part is check.ts (the validator compiled ahead of time, 73 KB): the
 * deployed functions import it only for a tuning file without a matching package stamp
 * (shared/tuning/deployed.ts), so a normal cold start never loads it (docs/performance.md "Cold start").
 */
export interface ParseOptions {
  /** Detection ids that exist; an unknown id in `detections`, a suppression or override is an error. */
  knownDetections?: readonly string[];
  /** For expiry warnings (defaults to now). */
  now?: Date;
}

/** One problem, located by JSON pointer (and, for an unknown or missing field, the key it is about). */
export interface PointerProblem {
  pointer: string;
  key?: string;
  message: string;
}

export interface CheckedTuning {
  /** Set when there is no error. */
  config?: TuningConfig;
  problems: PointerProblem[];
  warnings: PointerProblem[];
}

/** The empty configuration: zero-config Trailwatch. */
export const EMPTY_TUNING: TuningConfig = { version: 1 };

/**
 * The rules a schema cannot say, on a value the schema already accepted: known detection ids, real
 * dates and expiry warnings, CIDRs. The deployed loader runs only these when the package step's
 * check stamp vouches for the schema (shared/tuning/deployed.ts).
 */
export function checkSemantics(config: TuningConfig, options: ParseOptions = {}): CheckedTuning {
  const problems: PointerProblem[] = [];
  const warnings: PointerProblem[] = [];
  semanticChecks(config, options, (pointer, message, level = 'error') => (level === 'error' ? problems : warnings).push({ pointer, message }));
  return problems.length === 0 ? { config, problems, warnings } : { problems, warnings };
}

/** Milliseconds of a suppression's `expires`: a bare date means the end of that day, UTC. */
export function expiryMs(expires: string): number {
  const day = expires.slice(0, 10);
  // Date.parse rolls 2027-02-30 over to March: a date that does not round-trip is not real.
  const start = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== day) return Number.NaN;
  const bare = /^\d{4}-\d{2}-\d{2}$/.test(expires);
  return bare ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires.replace(' ', 'T'));
}

type Report = (pointer: string, message: string, level?: 'error' | 'warning') => void;

function semanticChecks(config: TuningConfig, options: ParseOptions, report: Report): void {
  const known = options.knownDetections ? new Set([...options.knownDetections, '*']) : undefined;
  const now = (options.now ?? new Date()).getTime();
  const checkDetection = (id: string, pointer: string): void => {
    if (known && !known.has(id)) report(pointer, `unknown detection id ${JSON.stringify(id)}`);
  };
  const ids = new Set<string>();
  config.suppressions?.forEach((s, i) => {
    const base = `/suppressions/${i}`;
    checkDetection(s.detection, `${base}/detection`);
    if (ids.has(s.id)) report(`${base}/id`, `duplicate suppression id ${JSON.stringify(s.id)}`);
    ids.add(s.id);
    const ms = expiryMs(s.expires);
    if (!Number.isFinite(ms)) report(`${base}/expires`, `not a real date: ${JSON.stringify(s.expires)}`);
    else if (ms < now) report(`${base}/expires`, `suppression ${JSON.stringify(s.id)} expired on ${s.expires}: it no longer applies (renew it with a reason, or delete it)`, 'warning');
  });
  config.severityOverrides?.forEach((o, i) => checkDetection(o.detection, `/severityOverrides/${i}/detection`));
  for (const id of Object.keys(config.detections ?? {})) checkDetection(id, `/detections/${escapePointer(id)}`);
  for (const list of ['deployers', 'scanners'] as const) {
    config[list]?.forEach((a, i) =>
      a.networks?.forEach((n, j) => {
        if (!parseCidr(n)) report(`/${list}/${i}/networks/${j}`, `not a CIDR: ${JSON.stringify(n)}`);
      }),
    );
  }
  const teams = new Set<string>();
  config.routing?.teams?.forEach((t, i) => {
    if (!t.accounts?.length && !t.ous?.length) report(`/routing/teams/${i}`, `team ${JSON.stringify(t.name)} owns nothing: give accounts or ous`);
    if (teams.has(t.name)) report(`/routing/teams/${i}/name`, `duplicate team name ${JSON.stringify(t.name)}`);
    teams.add(t.name);
  });
  const org = new Set(config.organization?.accounts?.map((a) => a.id) ?? []);
  config.nonProductionAccounts?.forEach((a, i) => {
    if (org.size > 0 && !org.has(a.id)) report(`/nonProductionAccounts/${i}/id`, `account ${a.id} is not listed under organization.accounts`, 'warning');
  });
  approvedRegionChecks(config, org, report);
}

/** Region names by shape (with what to write instead), one list per account, members of the organization. */
function approvedRegionChecks(config: TuningConfig, org: ReadonlySet<string>, report: Report): void {
  const approved = config.approvedRegions;
  if (!approved) return;
  const regions = (list: readonly string[], base: string): void =>
    list.forEach((r, j) => {
      const problem = regionNameProblem(r);
      if (problem) report(`${base}/${j}`, problem);
    });
  regions(approved.regions ?? [], '/approvedRegions/regions');
  const seen = new Set<string>();
  approved.accounts?.forEach((a, i) => {
    regions(a.regions, `/approvedRegions/accounts/${i}/regions`);
    if (seen.has(a.id)) report(`/approvedRegions/accounts/${i}/id`, `account ${a.id} is listed twice under approvedRegions.accounts: give it one list`);
    seen.add(a.id);
    if (org.size > 0 && !org.has(a.id)) report(`/approvedRegions/accounts/${i}/id`, `account ${a.id} is not listed under organization.accounts`, 'warning');
  });
  if (!approved.regions && !approved.accounts?.length) report('/approvedRegions', 'approvedRegions lists no regions: give regions (organization-wide) or accounts, or remove it (unused-region-activity stays inactive)');
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

