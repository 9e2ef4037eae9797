/** One problem in a tuning file, with the position a human needs to fix it. */
export interface TuningProblem {
  file: string;
  /** 1-based line and column. */
  line: number;
  column: number;
  message: string;
  /** Where in the document, as a JSON pointer (`/suppressions/0/expires`). */
  pointer: string;
}

/** Base class of tuning-configuration errors. */
export class TuningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuningError';
  }
}

/** The file is not valid YAML/JSON or does not satisfy the schema: every problem, line-precise. */
export class TuningValidationError extends TuningError {
  constructor(readonly problems: TuningProblem[]) {
    super(`invalid tuning configuration:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'TuningValidationError';
  }
}

/** `file:line:col: message` — the form editors and CI annotate. */
export function formatProblem(p: TuningProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}
