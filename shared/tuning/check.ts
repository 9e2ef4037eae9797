import validateSchema from './schema-validator.generated.js';
import type { ErrorObject } from 'ajv';
import { type CheckedTuning, checkSemantics, type ParseOptions, type PointerProblem } from './semantics.ts';
import type { TuningConfig } from './types.ts';

// The validator-free part (types, semantic rules): importers on a cold start's path use semantics.ts directly.
export { type CheckedTuning, checkSemantics, EMPTY_TUNING, expiryMs, type ParseOptions, type PointerProblem } from './semantics.ts';

/**
 * Schema and semantic checks of a tuning configuration that is already a JS value, with no parser
 * and no schema compiler: the schema is compiled ahead of time (scripts/gen-tuning-validator.ts,
 * `schema-validator.generated.js`). The YAML loader (load.ts) adds line and column to what this
 * reports; the deployed Lambda reads the JSON the package step converted (deployed-tuning.ts) and
 * never loads a YAML parser or Ajv's compiler, and loads this module (the validator) only for a
 * file without a matching package stamp (shared/tuning/deployed.ts).
 */

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

