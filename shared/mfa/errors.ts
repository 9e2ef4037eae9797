/** Base class of the MFA-replacement errors. */
export class MfaReplacementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The pending-removals item kept changing under us: the caller should fail the batch so it is redelivered. */
export class MfaStoreConflictError extends MfaReplacementError {
  constructor(readonly attempts: number) {
    super(`MFA pending-removals item changed concurrently ${attempts} times in a row`);
  }
}
