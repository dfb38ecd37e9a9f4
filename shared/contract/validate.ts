import type { z } from 'zod';
import { invokeChannels, type InvokeChannel, type ParsedRequestOf } from './channels';
import { eventChannels, type EventName, type EventPayload } from './events';
import { fail, ok, type FieldIssue, type InvokeResult } from './result';

export function isInvokeChannel(value: unknown): value is InvokeChannel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(invokeChannels, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(eventChannels, value);
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** "symbols.0: must not be empty; to: must not be before from" */
export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
}

/** Validates a request where it enters the main side; unknown channels and bad payloads become errors, never throws. */
export function parseRequest<C extends InvokeChannel>(channel: C, payload: unknown): InvokeResult<ParsedRequestOf<C>>;
export function parseRequest(channel: string, payload: unknown): InvokeResult<unknown>;
export function parseRequest(channel: string, payload: unknown): InvokeResult<unknown> {
  if (!isInvokeChannel(channel)) return fail('unknown_channel', `unknown channel "${String(channel)}"`);
  // An omitted payload means "no arguments", so channels whose fields all have defaults can be called bare.
  const parsed = invokeChannels[channel].request.safeParse(payload === undefined || payload === null ? {} : payload);
  if (parsed.success) return ok(parsed.data);
  const issues = issuesOf(parsed.error);
  return fail('invalid_payload', `invalid ${channel} payload: ${describeIssues(issues)}`, issues);
}

export function parseEvent<E extends EventName>(event: E, payload: unknown): InvokeResult<EventPayload<E>> {
  const parsed = eventChannels[event].safeParse(payload);
  if (parsed.success) return ok(parsed.data as EventPayload<E>);
  const issues = issuesOf(parsed.error);
  return fail('invalid_payload', `invalid ${event} event: ${describeIssues(issues)}`, issues);
}
