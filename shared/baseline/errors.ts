/** Base class of the baseline processor's errors. */
export class BaselineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A profile kept changing under us: the caller fails the batch so SQS redelivers it. */
export class BaselineConflictError extends BaselineError {
  constructor(
    readonly key: string,
    readonly attempts: number,
  ) {
    super(`baseline profile changed concurrently ${attempts} times in a row`);
  }
}
