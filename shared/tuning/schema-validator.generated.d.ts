// Types of the generated standalone validator (scripts/gen-tuning-validator.ts).
import type { ErrorObject } from 'ajv';

/** The tuning schema (shared/tuning/schema.ts) compiled ahead of time: true when `data` is valid; `errors` otherwise. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
export declare const validate: CompiledValidator;
export default validate;
