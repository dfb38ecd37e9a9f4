import { describe, expect, it } from 'vitest';
import { formatValue } from './KeyValues';

describe('a signal lifetime as text', () => {
  it('shows "no limit" for a position without a lifetime, however it arrived (Infinity, "Infinity", null, the older 0)', () => {
    for (const value of [Infinity, 'Infinity', null, 0]) expect(formatValue('minuteEstimatedTime', value).text, String(value)).toBe('no limit');
  });

  it('shows a real lifetime in minutes, and leaves other fields alone', () => {
    expect(formatValue('minuteEstimatedTime', 240).text).toBe('240');
    expect(formatValue('totalEntries', 0).text).toBe('0');
    expect(formatValue('note', null).text).toBe('—');
  });
});
