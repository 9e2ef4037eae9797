import { parseCidr } from '../policy/ip.ts';
import validateSchema from './schema-validator.generated.js';
import type { ErrorObject } from 'ajv';
import type { TuningConfig } from './types.ts';

/**
 * Schema and semantic checks of a tuning configuration that is already a JS value, with no parser
 * and no schema compiler: the schema is compiled ahead of time (scripts/gen-tuning-validator.ts,
 * `schema-validator.generated.js`). The YAML loader (load.ts) adds line and column to what this
 * reports; the deployed Lambda reads the JSON the package step converted (deployed-tuning.ts) and
 * never loads a YAML parser or Ajv's compiler.
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

/** Validates `value` against the schema, then the rules a schema cannot say (known ids, real dates, CIDRs). */
export function checkTuningValue(value: unknown, options: ParseOptions = {}): CheckedTuning {
  const problems: PointerProblem[] = [];
  const warnings: PointerProblem[] = [];
  if (!validateSchema(value)) {
    for (const e of validateSchema.errors ?? []) {
      const key = errorKey(e);
      problems.push({ pointer: e.instancePath || '/', ...(key !== undefined ? { key } : {}), message: describe(e) });
    }
    return { problems, warnings };
  }
  return checkSemantics(value as TuningConfig, options);
}

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
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The key an error is about (an unknown or a missing property), to point at it precisely. */
function errorKey(e: ErrorObject): string | undefined {
  if (e.keyword === 'additionalProperties') return String((e.params as { additionalProperty?: unknown }).additionalProperty);
  return undefined;
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'the file';
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown field ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
    case 'required':
      return `${where}: missing required field ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}`;
    case 'enum':
      return `${where}: must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
    case 'const':
      return `${where}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    case 'pattern': {
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      return `${where}: ${description ? `must be ${description}` : `does not match ${(e.params as { pattern: string }).pattern}`}`;
    }
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

