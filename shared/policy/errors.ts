/** Errors the policy engine throws. Every one carries what a caller needs to explain it. */

/** Base class of all policy-engine errors. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input is not a policy document at all (bad JSON, not an object, too deeply nested). */
export class PolicyParseError extends PolicyError {
  /** Character offset in the JSON text where parsing failed, when known. */
  readonly position: number | undefined;
  /** Line and column (1-based) for humans, when known. */
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, position?: number, source?: string) {
    let line: number | undefined;
    let column: number | undefined;
    if (position !== undefined && source !== undefined) {
      const before = source.slice(0, position);
      line = before.split('\n').length;
      column = position - before.lastIndexOf('\n');
    }
    super(line !== undefined ? `${message} (line ${line}, column ${column})` : message);
    this.position = position;
    this.line = line;
    this.column = column;
  }
}

/** An evaluation request or policy set that cannot be evaluated (e.g. missing action, invalid policy). */
export class EvaluationInputError extends PolicyError {
  /** Name of the offending policy, if the problem is a policy. */
  readonly policyName: string | undefined;
  constructor(message: string, policyName?: string) {
    super(message);
    this.policyName = policyName;
  }
}
