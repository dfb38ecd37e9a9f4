import ConnectionString from 'mongodb-connection-string-url';

export const DEFAULT_CONNECTION_STRING = 'mongodb://localhost:27017/backtest-kit?wtimeoutMS=15000';

export class InvalidConnectionStringError extends Error {
  constructor(public readonly problem: string, maskedUri: string) {
    super(`Invalid MongoDB connection string ${maskedUri}: ${problem}`);
    this.name = 'InvalidConnectionStringError';
  }
}

/** Replaces the password (and any secret-looking query parameter) with ****; safe to log or send to the UI. */
export function maskConnectionString(uri: string): string {
  return uri
    .replace(/^(mongodb(?:\+srv)?:\/\/[^:@/]+):[^@/]*@/i, '$1:****@')
    .replace(/([?&](?:password|authMechanismProperties|tlsCertificateKeyFilePassword)=)[^&]*/gi, '$1****');
}

/** Masks every connection string found inside a larger text (driver error messages echo them). */
export function maskSecretsIn(text: string): string {
  return text.replace(/mongodb(?:\+srv)?:\/\/[^\s"'`]+/gi, (match) => maskConnectionString(match));
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
