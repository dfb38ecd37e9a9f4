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
