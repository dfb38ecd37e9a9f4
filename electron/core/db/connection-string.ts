import ConnectionString from 'mongodb-connection-string-url';

export const DEFAULT_CONNECTION_STRING = 'mongodb://localhost:27017/backtest-kit?wtimeoutMS=15000';

export class InvalidConnectionStringError extends Error {
  constructor(public readonly problem: string, maskedUri: string) {
    super(`Invalid MongoDB connection string ${maskedUri}: ${problem}`);
    this.name = 'InvalidConnectionStringError';
  }
}

/** Query options whose values are secrets (matched without regard to case). */
export const SECRET_OPTIONS = ['password', 'proxyPassword', 'sslPassword', 'tlsCertificateKeyFilePassword', 'sslPEMKeyPassword', 'authMechanismProperties'] as const;
const SECRET_OPTION_NAMES = new Set(SECRET_OPTIONS.map((o) => o.toLowerCase()));
const MASK = '****';

function isSecretOption(name: string): boolean {
  const lower = name.toLowerCase();
  // Any future option named for a password, secret or token is treated the same way.
  return SECRET_OPTION_NAMES.has(lower) || lower.includes('password') || lower.includes('secret') || lower.includes('token');
}

/**
 * Every secret value seen in a connection string in this process: error texts that quote one
 * outside a URI (a driver echoing a password, a parse error) are masked too.
 */
const knownSecrets = new Set<string>();

function remember(secret: string | undefined): void {
  if (!secret || secret.length < 3) return;
  knownSecrets.add(secret);
  try {
    const decoded = decodeURIComponent(secret);
    if (decoded.length >= 3) knownSecrets.add(decoded);
  } catch {
    // Not valid percent-encoding: the raw form is enough.
  }
}

/** `authMechanismProperties=AWS_SESSION_TOKEN:x,SERVICE_NAME:y`: every value masked, the keys kept. */
function maskProperties(value: string): string {
  return value
    .split(',')
    .map((pair) => {
      const colon = pair.indexOf(':');
      if (colon === -1) {
        remember(pair);
        return MASK;
      }
      remember(pair.slice(colon + 1));
      return `${pair.slice(0, colon)}:${MASK}`;
    })
    .join(',');
}

/**
 * A string the parser refuses is shown only as scheme, `****@` when it holds credentials, and the
 * host part after the last `@`: its path and options are dropped (an unescaped `/` or `@` in a
 * password would otherwise put the password in what we show).
 */
function maskUnparseable(raw: string): string {
  const scheme = /^mongodb\+srv:\/\//i.test(raw) ? 'mongodb+srv://' : /^mongodb:\/\//i.test(raw) ? 'mongodb://' : undefined;
  if (!scheme) return '(not a MongoDB connection string)';
  const rest = raw.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    remember(colon === -1 ? userinfo : userinfo.slice(colon + 1));
  }
  const afterCredentials = at === -1 ? rest : rest.slice(at + 1);
  const end = afterCredentials.search(/[/?]/);
  const hosts = end === -1 ? afterCredentials : afterCredentials.slice(0, end);
  return `${scheme}${at === -1 ? '' : `${MASK}@`}${hosts}${end === -1 ? '' : '/…'}`;
}

/**
 * The connection string with every secret replaced by ****, built from the parsed string (never
 * by pattern on the raw text): the password (also with an empty user name), the secret options
 * and each authMechanismProperties value. Safe to log or send to the UI.
 */
export function maskConnectionString(uri: string): string {
  const raw = uri.trim();
  let parsed: ConnectionString;
  try {
    parsed = new ConnectionString(raw);
  } catch {
    return maskUnparseable(raw);
  }
  const scheme = parsed.isSRV ? 'mongodb+srv://' : 'mongodb://';
  remember(parsed.password);
  const credentials = parsed.password ? `${parsed.username}:${MASK}@` : parsed.username ? `${parsed.username}@` : '';
  const options = [...parsed.searchParams.entries()].map(([name, value]) => {
    if (name.toLowerCase() === 'authmechanismproperties') return `${name}=${maskProperties(value)}`;
    if (isSecretOption(name)) {
      remember(value);
      return `${name}=${MASK}`;
    }
    return `${name}=${value}`;
  });
  return `${scheme}${credentials}${parsed.hosts.join(',')}${parsed.pathname || ''}${options.length > 0 ? `?${options.join('&')}` : ''}`;
}

/**
 * Masks every connection string inside a larger text (driver errors echo them), then every
 * secret seen before in a connection string wherever else it appears.
 */
export function maskSecretsIn(text: string): string {
  // The pattern only finds where a URI starts and ends; masking is done on the parsed string.
  let masked = text.replace(/mongodb(?:\+srv)?:\/\/[^\s"'`<>]+/gi, (match) => {
    const trailing = /[).,;:\]]+$/.exec(match)?.[0] ?? '';
    return maskConnectionString(match.slice(0, match.length - trailing.length)) + trailing;
  });
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length)) {
    if (masked.includes(secret)) masked = masked.split(secret).join(MASK);
  }
  return masked;
}

export interface ParsedConnectionString {
  uri: string;
  maskedUri: string;
  hosts: string[];
  database: string;
  wtimeoutMS: number | undefined;
}

export function parseConnectionString(uri: string | undefined, defaultDatabase = 'backtest-kit'): ParsedConnectionString {
  const raw = (uri ?? '').trim();
  const masked = maskConnectionString(raw);
  if (raw === '') throw new InvalidConnectionStringError('it is empty', '""');
  if (!/^mongodb(\+srv)?:\/\//i.test(raw)) {
    throw new InvalidConnectionStringError('it must start with mongodb:// or mongodb+srv://', masked);
  }
  let parsed: ConnectionString;
  try {
    parsed = new ConnectionString(raw);
  } catch (error) {
    throw new InvalidConnectionStringError(maskSecretsIn(error instanceof Error ? error.message : String(error)), masked);
  }
  if (parsed.hosts.length === 0 || parsed.hosts.some((h) => h.trim() === '')) {
    throw new InvalidConnectionStringError('no host is given', masked);
  }
  for (const host of parsed.hosts) {
    const port = host.match(/:(\d*)$/)?.[1];
    if (port !== undefined && (port === '' || Number(port) < 1 || Number(port) > 65535)) {
      throw new InvalidConnectionStringError(`host "${host}" has an invalid port`, masked);
    }
  }
  const wtimeout = parsed.searchParams.get('wtimeoutMS');
  if (wtimeout !== null && !/^\d+$/.test(wtimeout)) {
    throw new InvalidConnectionStringError(`wtimeoutMS "${wtimeout}" is not a whole number of milliseconds`, masked);
  }
  const path = parsed.pathname.replace(/^\//, '');
  const database = decodeURIComponent(path) || defaultDatabase;
  if (/[/\\. "$]/.test(database)) {
    throw new InvalidConnectionStringError(`database name "${database}" contains a character MongoDB forbids`, masked);
  }
  return {
    uri: raw,
    maskedUri: masked,
    hosts: parsed.hosts,
    database,
    wtimeoutMS: wtimeout === null ? undefined : Number(wtimeout),
  };
}
