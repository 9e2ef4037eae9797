/** Tuning as code: the schema-validated configuration file and how findings are matched against it (docs/tuning.md). */
export { formatProblem, TuningError, TuningValidationError, type TuningProblem } from './errors.ts';
export { EMPTY_TUNING, expiryMs, loadTuningFile, parseTuning, type LoadedTuning, type ParseOptions } from './load.ts';
export { matchActor, matchSuppression, networkMatches, principalMatches, selectorMatches, trustedAccountIds } from './match.ts';
export { TUNING_SCHEMA } from './schema.ts';
export type * from './types.ts';
