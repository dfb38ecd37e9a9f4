import type { Backend, RequestArgs } from '../../../shared/contract/backend';
import type { InvokeChannel, ResponseOf } from '../../../shared/contract/channels';
import { ContractFailure } from '../../../shared/contract/result';

let current: Backend | undefined;

export function setBackend(backend: Backend): void {
  current = backend;
}

export function getBackend(): Backend {
  if (!current) throw new Error('the backend is not connected yet');
  return current;
}

export function hasBackend(): boolean {
  return current !== undefined;
}

/**
 * Invokes a channel and returns its data, or throws a ContractFailure whose message already names
 * the failing field, so views can show `error.message` as it is.
 */
export async function call<C extends InvokeChannel>(channel: C, ...payload: RequestArgs<C>): Promise<ResponseOf<C>> {
  const result = await getBackend().invoke(channel, ...payload);
  if (result.ok) return result.data;
  throw new ContractFailure(result.error.code, result.error.message, result.error.issues);
}

/**
 * Hands a picked file to the app (HTTP upload on the headless host, IPC in the desktop app) and
 * returns the id a following `candles.import {kind: 'upload'}` names; throws like `call`.
 */
export async function upload(file: Blob, fileName: string): Promise<{ uploadId: string }> {
  const result = await getBackend().upload(file, fileName);
  if (result.ok) return result.data;
  throw new ContractFailure(result.error.code, result.error.message, result.error.issues);
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
