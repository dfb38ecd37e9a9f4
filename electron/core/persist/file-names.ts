import { createHash } from 'node:crypto';
import type { ContextKey } from './contract';

/**
 * Maps a context key to a file name that is safe on every platform and reversible: each part keeps
 * only [A-Za-z0-9_-] and percent-encodes (lowercase hex) every other byte (so `.`, `/` and `\` can never form a path
 * like `../x`), parts are joined with `~`. Names too long for a file system become `@<sha256>`, and
 * the JSON file then carries its key inside.
 */
const MAX_NAME_LENGTH = 180;
const PART_SEPARATOR = '~';

function encodePart(part: string): string {
  let out = '';
  for (const byte of Buffer.from(part, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Names Windows reserves whatever the extension (CON.md is the console); their first letter gets encoded. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

function escapeReserved(stem: string): string {
  return WINDOWS_RESERVED.test(stem) ? `%${stem.charCodeAt(0).toString(16)}${stem.slice(1)}` : stem;
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

/**
 * macOS and Windows file systems ignore case, so `BTC` and `btc` would share a file: a name with
 * capitals gets `.<hash of the exact name>`, which differs for every casing. (`.` never occurs
 * in an encoded part, so the suffix cannot be confused with key text.)
 */
function caseSafe(stem: string): string {
  return /[A-Z]/.test(stem) ? `${stem}.${shortHash(stem)}` : stem;
}

export function fileStemFor(keyParts: readonly string[], key: ContextKey): { stem: string; hashed: boolean } {
  const stem = caseSafe(escapeReserved(keyParts.map((part) => encodePart(String(key[part]))).join(PART_SEPARATOR)));
  if (stem.length <= MAX_NAME_LENGTH) return { stem, hashed: false };
  return { stem: `@${createHash('sha256').update(stem).digest('hex')}`, hashed: true };
}

export function isHashedStem(stem: string): boolean {
  return stem.startsWith('@');
}

/** Inverse of fileStemFor for unhashed names; undefined for names this codec did not write. */
export function keyFromStem(
  keyParts: readonly string[],
  booleanParts: ReadonlySet<string>,
  stem: string,
): ContextKey | undefined {
  const dot = stem.indexOf('.');
  if (dot >= 0) {
    const exact = stem.slice(0, dot);
    if (stem.slice(dot + 1) !== shortHash(exact)) return undefined;
    stem = exact;
  }
  const encoded = stem.split(PART_SEPARATOR);
  if (encoded.length !== keyParts.length) return undefined;
  const key: ContextKey = {};
  for (let i = 0; i < keyParts.length; i++) {
    const part = keyParts[i]!;
    let text: string;
    try {
      text = decodeURIComponent(encoded[i]!);
    } catch {
      return undefined;
    }
    if (booleanParts.has(part)) {
      if (text !== 'true' && text !== 'false') return undefined;
      key[part] = text === 'true';
    } else {
      key[part] = text;
    }
  }
  return key;
}
