import { describe, expect, it } from 'vitest';
import { formatDuration, formatPercent, formatPrice, formatTime, fromUtcInput, maskUri, toUtcInput } from './format';

describe('format', () => {
  it('shows BTC-quoted prices with 8 decimals and large prices with 2', () => {
    expect(formatPrice(0.09123456)).toBe('0.09123456');
    expect(formatPrice(43125.5)).toBe('43,125.50');
    expect(formatPrice(undefined)).toBe('—');
  });

  it('signs percentages', () => {
    expect(formatPercent(1.234)).toBe('+1.23%');
    expect(formatPercent(-0.5)).toBe('-0.50%');
  });

  it('formats times in UTC and round-trips datetime-local inputs', () => {
    const ms = Date.UTC(2018, 0, 20, 4, 53);
    expect(formatTime(ms)).toBe('2018-01-20 04:53');
    expect(fromUtcInput(toUtcInput(ms))).toBe(ms);
    expect(fromUtcInput('')).toBeUndefined();
  });

  it('reads date-time fields as 24-hour UTC text and refuses impossible dates', () => {
    expect(toUtcInput(Date.UTC(2018, 0, 20, 16, 5))).toBe('2018-01-20 16:05');
    expect(fromUtcInput('2018-01-20 16:05')).toBe(Date.UTC(2018, 0, 20, 16, 5));
    expect(fromUtcInput('2018-01-20T16:05')).toBe(Date.UTC(2018, 0, 20, 16, 5));
    expect(fromUtcInput('2018-01-20')).toBe(Date.UTC(2018, 0, 20));
    expect(fromUtcInput('2018-02-31 00:00')).toBeUndefined();
    expect(fromUtcInput('2018-01-20 24:00')).toBeUndefined();
    expect(fromUtcInput('01/20/2018 4:05 PM')).toBeUndefined();
  });

  it('formats durations for ETAs', () => {
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3 * 3_600_000 + 60_000)).toBe('3h 01m');
  });

  it('masks the password in a connection string', () => {
    expect(maskUri('mongodb://user:s3cret@db:27017/x')).toBe('mongodb://user:••••@db:27017/x');
    expect(maskUri('mongodb://localhost:27017/x')).toBe('mongodb://localhost:27017/x');
  });
});
