import { isNetworkOrTimeoutError } from '../db/errors';
import { DatabaseUnavailableError } from './contract';

/** A failure that means "MongoDB is not reachable now", as opposed to MongoDB refusing the request. */
export function isOutageError(error: unknown): boolean {
  return error instanceof DatabaseUnavailableError || isNetworkOrTimeoutError(error);
}
