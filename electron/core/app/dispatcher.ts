import type { InvokeChannel, ParsedRequestOf, ResponseOf } from '../../../shared/contract/channels';
import { ContractFailure, fail, ok, type InvokeResult } from '../../../shared/contract/result';
import { parseRequest } from '../../../shared/contract/validate';
import { maskSecretsIn } from '../db/connection-string';
import { isOutageError } from '../persist/outage-errors';

export type Handlers = { [C in InvokeChannel]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> };

export type Dispatch = (channel: unknown, payload?: unknown) => Promise<InvokeResult<unknown>>;

/**
 * The one entry point both transports call: validates the channel and payload (errors name the
 * field), runs the handler, and turns every exception into an error result so nothing a client
 * sends can crash the app.
 */
export function createDispatcher(handlers: Handlers, onError: (channel: string, error: unknown) => void = () => undefined): Dispatch {
  return async (channel, payload) => {
    // Never String() a client value: an object without toString would throw here.
    const parsed = parseRequest(typeof channel === 'string' ? channel : `(${typeof channel})`, payload);
    if (!parsed.ok) return parsed;
    const name = channel as InvokeChannel;
    try {
      const handler = handlers[name] as (request: unknown) => Promise<unknown>;
      return ok(await handler(parsed.data));
    } catch (error) {
      if (error instanceof ContractFailure) return fail(error.code, maskSecretsIn(error.message), error.issues);
      // An outage is a state, not a bug: say so plainly (the status banner explains the rest).
      if (isOutageError(error)) {
        return fail('unavailable', `${name}: MongoDB is unreachable right now (${maskSecretsIn(error instanceof Error ? error.message : String(error))})`);
      }
      onError(name, error);
      return fail('internal', `${name} failed: ${maskSecretsIn(error instanceof Error ? error.message : String(error))}`);
    }
  };
}
