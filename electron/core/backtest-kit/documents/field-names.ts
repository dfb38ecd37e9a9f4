/**
 * MongoDB before 5.0 refuses field names with `.` or a leading `$` inside an update, and later
 * versions accept them only in some operations. Payload keys are arbitrary (a map of price levels
 * like {"100.5": 3}), so the MongoDB adapter escapes them reversibly: `%` → %25, `.` → %2E, a
 * leading `$` → %24. Top-level payload fields the adapter queries (type, symbol, createdAt…) never
 * contain these characters, so queries are unaffected.
 */
const DECODE: Record<string, string> = { '%25': '%', '%2E': '.', '%24': '$' };

export function escapeName(name: string): string {
  return name.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24');
}

function unescapeName(name: string): string {
  return name.replace(/%(25|2E|24)/g, (match) => DECODE[match]!);
}

function mapKeys(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => mapKeys(item, rename));
  if (typeof value !== 'object' || value === null) return value;
  // Dates (a bot's payload may hold them: a log entry's executionContext.when) and other BSON values stay as they are.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value)) out[rename(name)] = mapKeys(child, rename);
  return out;
}

export function toStoredFieldNames(value: unknown): unknown {
  return mapKeys(value, escapeName);
}

export function fromStoredFieldNames(value: unknown): unknown {
  return mapKeys(value, unescapeName);
}
