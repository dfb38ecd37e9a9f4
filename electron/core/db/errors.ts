/** A unique index refused a write; `key` names the index fields and `value` the offending values. */
export class DuplicateKeyError extends Error {
  constructor(
    public readonly collection: string,
    public readonly key: Record<string, unknown>,
    public readonly value: Record<string, unknown> | undefined,
  ) {
    super(`Duplicate key in ${collection}: ${JSON.stringify(value ?? key)} already exists (unique index on ${Object.keys(key).join(', ')})`);
    this.name = 'DuplicateKeyError';
  }
}

interface MongoLikeError {
  code?: unknown;
  keyPattern?: Record<string, unknown>;
  keyValue?: Record<string, unknown>;
  message?: unknown;
  writeErrors?: Array<{ code?: unknown; errmsg?: unknown }>;
}

export function isDuplicateKeyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as MongoLikeError;
  return e.code === 11000 || e.code === 11001 || (typeof e.message === 'string' && e.message.includes('E11000'));
}

/** Some servers (and old ones) give no keyPattern: recover it from the E11000 message. */
export function toDuplicateKeyError(error: unknown, collection: string): DuplicateKeyError {
  const e = error as MongoLikeError;
  const message = typeof e.message === 'string' ? e.message : '';
  let key = e.keyPattern;
  if (!key) {
    const indexName = message.match(/index: (\S+)/)?.[1] ?? '';
    key = Object.fromEntries(
      indexName
        .split('_')
        .reduce<string[]>((fields, part, i) => (i % 2 === 0 ? [...fields, part] : fields), [])
        .filter(Boolean)
        .map((field) => [field, 1]),
    );
  }
  let value = e.keyValue;
  if (!value) {
    const raw = message.match(/dup key: (\{.*\})/)?.[1];
    if (raw) value = { raw };
  }
  return new DuplicateKeyError(collection, key, value);
}

export function isNetworkOrTimeoutError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; codeName?: unknown; errorLabels?: unknown; message?: unknown; errorLabelSet?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  if (/MongoNetwork|MongoServerSelection|MongooseServerSelection|PoolClosed|MongoTopologyClosed|MongoNotConnected/.test(name)) return true;
  // 64: WriteConcernFailed (wtimeout), 50: MaxTimeMSExpired, 89: NetworkTimeout, 91: ShutdownInProgress
  if (e.code === 64 || e.code === 50 || e.code === 89 || e.code === 91 || e.codeName === 'WriteConcernFailed') return true;
  // Socket errors the driver can pass on unwrapped when the server goes away mid-write
  // (Node's EPIPE says "This socket has been ended by the other party", without the code in the text).
  if (typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ERR_SOCKET_CLOSED|ERR_STREAM_DESTROYED)$/.test(e.code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /ECONNREFUSED|ECONNRESET|EPIPE|timed out|Client must be connected|connection .* closed|buffering timed out|socket has been ended|socket hang up/i.test(message);
}
