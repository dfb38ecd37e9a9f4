/** Narrowing helpers for values read from documents a bot (or anything else) wrote. */
export type Fields = Record<string, unknown>;

export function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function asRecord(value: unknown): Fields {
  return isRecord(value) ? value : {};
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && !Number.isNaN(value) ? value : undefined;
}

/** A Date (or epoch ms) as epoch ms. */
export function millis(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Drops `undefined` members, so a payload never stores `null` for an absent field. */
export function defined<T extends Fields>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as T;
}

/** `fields` without `names`; undefined when nothing is left. */
export function rest(fields: Fields, names: ReadonlySet<string>): Fields | undefined {
  const left = Object.fromEntries(Object.entries(fields).filter(([k]) => !names.has(k)));
  return Object.keys(left).length > 0 ? left : undefined;
}
