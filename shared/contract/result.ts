/** How every invoke answers: a value or an error that says what went wrong, never a throw. */

export const ERROR_CODES = [
  /** The payload failed its schema; `issues` name the fields. */
  'invalid_payload',
  'unknown_channel',
  /** The sender is not the app's own page (Electron IPC) or has no valid token (WebSocket). */
  'forbidden',
  'not_found',
  /** The request was valid but cannot be done now (e.g. no database for a live run). */
  'unavailable',
  'conflict',
  /** The transport is down (WebSocket closed, host gone); retry later. */
  'transport',
  'timeout',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldIssue {
  /** Dotted path into the payload, e.g. "symbols.0" or "source.path"; "" for the payload itself. */
  path: string;
  message: string;
}

export interface ContractError {
  code: ErrorCode;
  message: string;
  issues?: FieldIssue[];
}

export type InvokeResult<T> = { ok: true; data: T } | { ok: false; error: ContractError };

export const ok = <T>(data: T): InvokeResult<T> => ({ ok: true, data });
export const fail = (code: ErrorCode, message: string, issues?: FieldIssue[]): { ok: false; error: ContractError } => ({
  ok: false,
  error: issues ? { code, message, issues } : { code, message },
});

/** Thrown by core services for the well-known failures; the dispatcher turns it into a `fail`. */
export class ContractFailure extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly issues?: FieldIssue[],
  ) {
    super(message);
    this.name = 'ContractFailure';
  }
}

/** Unwraps a result for callers that prefer exceptions (tests, scripts). */
export function unwrap<T>(result: InvokeResult<T>): T {
  if (result.ok) return result.data;
  throw new ContractFailure(result.error.code, result.error.message, result.error.issues);
}
