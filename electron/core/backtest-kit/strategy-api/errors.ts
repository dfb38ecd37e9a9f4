/**
 * A backtest-kit function our engine does not implement was called. Unlike other errors inside a
 * strategy (which backtest-kit reports and survives), this one fails the run: its results would
 * silently differ from backtest-kit's.
 */
export class UnsupportedFunctionError extends Error {
  constructor(readonly functionName: string) {
    super(`backtest-kit function "${functionName}" is not supported by Backtest Monitor's engine; see docs/backtest-kit-strategies.md for what is`);
    this.name = 'UnsupportedFunctionError';
  }
}

/** A strategy called an ambient function (getCandles, commit…) outside a running strategy. */
export class NoExecutionContextError extends Error {
  constructor(functionName: string) {
    super(`${functionName} requires an execution context (call it from getSignal, a strategy callback or a listener during a run)`);
    this.name = 'NoExecutionContextError';
  }
}

export function isFatalStrategyError(error: unknown): boolean {
  return error instanceof UnsupportedFunctionError;
}

/**
 * Strategy code (getSignal, a callback, a listener) threw, or returned a signal backtest-kit's checks
 * refuse. backtest-kit 19.5.0 ends the backtest then (its error handler fails on the functools-kit
 * version npm serves with it), so the run fails with this error, which names where it happened.
 */
export class StrategyCodeError extends Error {
  constructor(where: string, cause: unknown) {
    super(`${where}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = cause instanceof UnsupportedFunctionError ? 'UnsupportedFunctionError' : 'StrategyCodeError';
  }
}
