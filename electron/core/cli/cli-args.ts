import { isInterval, INTERVALS, type Interval } from '../../../shared/candles';

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value.trim();
}

export function parseIntervalOption(value: string | undefined, name = 'interval'): Interval {
  const raw = requireOption(value, name);
  if (!isInterval(raw)) throw new UsageError(`--${name} "${raw}" is not one of ${INTERVALS.join(' ')}`);
  return raw;
}

/** Milliseconds since the epoch, or an ISO 8601 date/time (UTC unless it says otherwise). */
export function parseTimeOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) || text.length === 10 ? text : `${text}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`--${name} "${value}" is neither milliseconds since the epoch nor an ISO 8601 date such as 2018-01-20 or 2018-01-20T04:55:00Z`);
}

export function formatTime(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
