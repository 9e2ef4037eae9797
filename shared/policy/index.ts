/**
 * Trailwatch's IAM policy engine: parse and validate policies, evaluate requests with AWS's
 * documented evaluation logic, and analyze policies into findings a human can act on.
 */
export { parsePolicy } from './parse.ts';
export type { ParseResult } from './parse.ts';
export { validatePolicy } from './validate.ts';
export type { ValidationResult } from './validate.ts';
export { evaluate } from './evaluate.ts';
export type { EvaluationInput } from './evaluate.ts';
export { analyze, inferKind } from './analyze.ts';
export { ESCALATION_PATHS } from './escalation-paths.ts';
export type { EscalationPath, EscalationStep } from './escalation-paths.ts';
export { POLICY_QUOTAS } from './quotas.ts';
export { CALLER_ADMIN, witnessArgs } from './witness.ts';
export { PolicyError, PolicyParseError, EvaluationInputError } from './errors.ts';
export type * from './types.ts';
