/** The run manager's errors, which its callers (the engine part of the app) answer differently. */

/** The request cannot run as asked (a field, the strategy or its parameters); `issues` name the fields. */
export class RunRequestError extends Error {
  constructor(
    message: string,
    readonly issues: Array<{ path: string; message: string }>,
  ) {
    super(message);
    this.name = 'RunRequestError';
  }
}

export class RunConflictError extends Error {
  override name = 'RunConflictError';
}

export class RunManagerClosedError extends Error {
  override name = 'RunManagerClosedError';
  constructor() {
    super('the run manager is closed (the database is being switched or the app is stopping)');
  }
}

/** No run with this id, neither in this process nor in the run store. */
export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
  constructor(runId: string) {
    super(`no run with id ${runId}`);
  }
}
