import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { parseCidr } from '../policy/ip.ts';
import { TuningValidationError, type TuningProblem } from './errors.ts';
import { TUNING_SCHEMA } from './schema.ts';
import type { TuningConfig } from './types.ts';

export interface LoadedTuning {
  config: TuningConfig;
  /** Not errors, but worth a human's eye (an expired suppression, an unknown detection id). */
  warnings: TuningProblem[];
  file: string;
}

export interface ParseOptions {
  /** Detection ids that exist; an unknown id in `detections`, a suppression or override is an error. */
  knownDetections?: readonly string[];
  /** For expiry warnings (defaults to now). */
  now?: Date;
}

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const validateSchema = ajv.compile(TUNING_SCHEMA);

/** The empty configuration: zero-config Trailwatch. */
export const EMPTY_TUNING: TuningConfig = { version: 1 };

/**
 * Parses and validates a tuning file (YAML or JSON — JSON is YAML). Throws a TuningValidationError
 * listing every problem as `file:line:col`, so `trailwatch config validate`, the Lambda cold start
 * and replay reject the same files with the same messages.
 */
export function parseTuning(text: string, file = 'trailwatch.config.yaml', options: ParseOptions = {}): LoadedTuning {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, pointer: string, message: string): TuningProblem => {
    const pos = lines.linePos(offset);
    return { file, line: pos.line, column: pos.col, pointer, message };
  };
  const syntax = [...doc.errors, ...doc.warnings].map((e) => at(e.pos[0], '', e.message.split('\n')[0] ?? e.message));
  if (syntax.length > 0) throw new TuningValidationError(syntax);
  const value: unknown = doc.toJS() ?? {};
  const problems: TuningProblem[] = [];
  const warnings: TuningProblem[] = [];
  const locate = (pointer: string, key?: string): number => offsetOf(doc, pointer, key);
  if (!validateSchema(value)) {
    for (const e of validateSchema.errors ?? []) problems.push(at(locate(e.instancePath, errorKey(e)), e.instancePath || '/', describe(e)));
  } else {
    const config = value as TuningConfig;
    semanticChecks(config, options, (pointer, message, level = 'error') => {
      (level === 'error' ? problems : warnings).push(at(locate(pointer), pointer, message));
    });
    if (problems.length === 0) return { config, warnings, file };
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  throw new TuningValidationError(problems);
}

/** Reads and parses a tuning file from disk (see `parseTuning`). */
export function loadTuningFile(path: string, options: ParseOptions = {}): LoadedTuning {
  return parseTuning(readFileSync(path, 'utf8'), path, options);
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

/** Source offset of the node at a JSON pointer (or of one of its keys); the nearest existing parent otherwise. */
function offsetOf(doc: Document, pointer: string, key?: string): number {
  const path = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of [...path, ...(key !== undefined ? [key] : [])]) {
    if (isMap(node)) {
      const pair = node.items.find((p: Pair) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === segment);
      if (!pair) break;
      const isLast = segment === key;
      const target = (isLast ? pair.key : pair.value) as Node | null;
      offset = target?.range?.[0] ?? (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}
