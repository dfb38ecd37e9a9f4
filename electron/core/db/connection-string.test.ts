import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECTION_STRING, InvalidConnectionStringError, maskConnectionString, maskSecretsIn, parseConnectionString } from './connection-string';
import { connectionStringFromEnv } from './connection-manager';

describe('connection string', () => {
  it('defaults to the documented local URI with a 15 s write timeout', () => {
    expect(connectionStringFromEnv({})).toBe(DEFAULT_CONNECTION_STRING);
    expect(connectionStringFromEnv({ CC_MONGO_CONNECTION_STRING: '  ' })).toBe(DEFAULT_CONNECTION_STRING);
    expect(connectionStringFromEnv({ CC_MONGO_CONNECTION_STRING: 'mongodb://db:27017/x' })).toBe('mongodb://db:27017/x');
    const parsed = parseConnectionString(DEFAULT_CONNECTION_STRING);
    expect(parsed.database).toBe('backtest-kit');
    expect(parsed.wtimeoutMS).toBe(15000);
    expect(parsed.hosts).toEqual(['localhost:27017']);
  });

  it('accepts replica-set URIs with options', () => {
    const parsed = parseConnectionString('mongodb://u:p@a:27017,b:27018/trading?replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=true');
    expect(parsed.hosts).toEqual(['a:27017', 'b:27018']);
    expect(parsed.database).toBe('trading');
    expect(parsed.maskedUri).toBe('mongodb://u:****@a:27017,b:27018/trading?replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=true');
  });

  it.each([
    ['', 'it is empty'],
    ['http://localhost:27017/x', 'must start with mongodb://'],
    ['mongodb://', 'Invalid'],
    ['mongodb://localhost:99999/x', 'invalid port'],
    ['mongodb://localhost:27017/x?wtimeoutMS=soon', 'wtimeoutMS "soon"'],
    ['mongodb://localhost:27017/bad.name', 'forbids'],
  ])('rejects %j with a message naming the problem', (uri, problem) => {
    expect(() => parseConnectionString(uri)).toThrow(InvalidConnectionStringError);
    expect(() => parseConnectionString(uri)).toThrow(problem);
  });

  it('never echoes a password, even in its own errors', () => {
    expect(maskConnectionString('mongodb://trader:s3cret@host/db')).toBe('mongodb://trader:****@host/db');
    expect(maskConnectionString('mongodb+srv://trader:s3cret@cluster.example.net/db')).toBe('mongodb+srv://trader:****@cluster.example.net/db');
    expect(maskSecretsIn('failed to reach mongodb://a:pw@h:1/x because')).toBe('failed to reach mongodb://a:****@h:1/x because');
    try {
      parseConnectionString('mongodb://trader:s3cret@host:0/db');
    } catch (error) {
      expect(String(error)).not.toContain('s3cret');
      return;
    }
    throw new Error('expected a failure');
  });
});

describe('masking from the parsed string', () => {
  it.each([
    ['an @ in the password (escaped)', 'mongodb://u:p%40ss@h:27017/db', 'mongodb://u:****@h:27017/db', ['p%40ss', 'p@ss', '@ss']],
    ['an @ in the password (unescaped)', 'mongodb://u:p@ss@h/db', 'mongodb://****@h/…', ['p@ss', '@ss', 'u:p']],
    ['an empty user name', 'mongodb://:pw123@h', 'mongodb://****@h', ['pw123']],
    ['an unescaped / in the password', 'mongodb://trader:pa/ss@h/db', 'mongodb://****@h/…', ['pa/ss', 'ss@']],
    ['mongodb+srv', 'mongodb+srv://trader:s3cret@cluster.example.net/db?retryWrites=true', 'mongodb+srv://trader:****@cluster.example.net/db?retryWrites=true', ['s3cret']],
    [
      'secret query options',
      'mongodb://h/db?proxyPassword=pp111&sslPassword=ss222&tlsCertificateKeyFilePassword=kk333&password=qq444&appName=bm',
      'mongodb://h/db?proxyPassword=****&sslPassword=****&tlsCertificateKeyFilePassword=****&password=****&appName=bm',
      ['pp111', 'ss222', 'kk333', 'qq444'],
    ],
    [
      'authMechanismProperties values',
      'mongodb://u:pw9@h/db?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:tok777,SERVICE_NAME:svc',
      'mongodb://u:****@h/db?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:****,SERVICE_NAME:****',
      ['tok777', 'pw9'],
    ],
    ['a user without a password', 'mongodb://reader@h/db', 'mongodb://reader@h/db', []],
  ])('%s', (_name, uri, expected, secrets) => {
    const masked = maskConnectionString(uri);
    expect(masked).toBe(expected);
    for (const secret of secrets) expect(masked).not.toContain(secret);
    // The same in any error about it, and in a text that quotes it.
    let message = '';
    try {
      parseConnectionString(uri.replace(/\/db/, '/bad.name'));
    } catch (error) {
      message = String(error);
    }
    const quoted = maskSecretsIn(`MongoServerSelectionError: connect failed for ${uri}. (attempt 2)`);
    for (const secret of secrets) {
      expect(message).not.toContain(secret);
      expect(quoted).not.toContain(secret);
    }
  });

  it('"Invalid MongoDB connection string" never carries the password, even unescaped', () => {
    for (const uri of ['mongodb://trader:pa/ss@host/db', 'mongodb://trader:p@ss@host/db', 'mongodb://:hunter22@host', 'mongodb://trader:hunter22@host:0/db']) {
      expect(() => parseConnectionString(uri)).toThrow(InvalidConnectionStringError);
      try {
        parseConnectionString(uri);
      } catch (error) {
        expect(String(error)).not.toMatch(/pa\/ss|p@ss|hunter22/);
      }
    }
  });

  it('a password seen in a connection string is masked wherever it shows up later', () => {
    maskConnectionString('mongodb://u:Zq9-unique-pw@h/db');
    expect(maskSecretsIn('Authentication failed for password Zq9-unique-pw')).toBe('Authentication failed for password ****');
  });
});
