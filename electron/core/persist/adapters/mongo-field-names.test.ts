import { describe, expect, it } from 'vitest';
import { fromStoredFieldNames, toStoredFieldNames } from './mongo-field-names';

describe('MongoDB field-name escaping', () => {
  it('escapes dots, a leading dollar and percent signs at every depth, and restores them exactly', () => {
    const value = { levels: { '100.5': 3 }, $meta: [{ 'a.b': { $inc: 1, 'x$': '%2E stays text' } }], '%2E': 'a literal escape-looking key', plain: 'v.a.l.u.e' };
    const stored = toStoredFieldNames(value);
    expect(stored).toEqual({ levels: { '100%2E5': 3 }, '%24meta': [{ 'a%2Eb': { '%24inc': 1, 'x$': '%2E stays text' } }], '%252E': 'a literal escape-looking key', plain: 'v.a.l.u.e' });
    expect(JSON.stringify(stored)).not.toMatch(/"[^"]*\.[^"]*":|"\$/);
    expect(fromStoredFieldNames(stored)).toEqual(value);
  });
});
