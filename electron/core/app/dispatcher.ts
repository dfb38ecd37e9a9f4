import type { InvokeChannel, ParsedRequestOf, ResponseOf } from '../../../shared/contract/channels';
import { ContractFailure, fail, ok, type InvokeResult } from '../../../shared/contract/result';
import { parseRequest } from '../../../shared/contract/validate';
import { maskSecretsIn } from '../db/connection-string';
import { isOutageError } from '../persist/outage-errors';

/** What a handler learns about the request besides its payload. */
export interface HandlerContext {
  /** Aborted when the client that sent the request goes away; long operations stop on it. */
  signal: AbortSignal;
}

export type Handlers = { [C in InvokeChannel]: (request: ParsedRequestOf<C>, context: HandlerContext) => Promise<ResponseOf<C>> };

/** Per-request options a transport passes along with the payload. */
export interface DispatchContext {
  /** The transport aborts it when the requesting client disconnects. */
  signal?: AbortSignal;
}

export type Dispatch = (channel: unknown, payload?: unknown, context?: DispatchContext) => Promise<InvokeResult<unknown>>;

/** A signal for callers that cannot be cancelled (in-process calls, tests). */
const NEVER_ABORTED = new AbortController().signal;

/**
 * The one entry point both transports call: validates the channel and payload (errors name the
 * field), runs the handler, and turns every exception into an error result so nothing a client
 * sends can crash the app.
 */
export function createDispatcher(handlers: Handlers, onError: (channel: string, error: unknown) => void = () => undefined): Dispatch {
  return async (channel, payload, context = {}) => {
    // Never String() a client value: an object without toString would throw here.
    const parsed = parseRequest(typeof channel === 'string' ? channel : `(${typeof channel})`, payload);
    if (!parsed.ok) return parsed;
    const name = channel as InvokeChannel;
    const signal = context.signal ?? NEVER_ABORTED;
    // The client left before we started: no work on its behalf.
    if (signal.aborted) return fail('unavailable', `${name}: the client disconnected before the request started`);
    try {
      const handler = handlers[name] as (request: unknown, context: HandlerContext) => Promise<unknown>;
      return ok(await handler(parsed.data, { signal }));
    } catch (error) {
      if (error instanceof ContractFailure) return fail(error.code, maskSecretsIn(error.message), error.issues);
      if (signal.aborted) return fail('unavailable', `${name}: cancelled because the client disconnected`);
      // An outage is a state, not a bug: say so plainly (the status banner explains the rest).
      if (isOutageError(error)) {
        return fail('unavailable', `${name}: MongoDB is unreachable right now (${maskSecretsIn(error instanceof Error ? error.message : String(error))})`);
      }
      onError(name, error);
      return fail('internal', `${name} failed: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`);
    }
  };
}
