import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/ports';
import { ConnectionManager, type DbState } from './connection-manager';
import { freshDatabaseUri } from '../../../test/support/test-db';
import { InvalidConnectionStringError } from './connection-string';

describe('ConnectionManager', () => {
  const managers: ConnectionManager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  it('connects to the test server and reports connecting then connected with the server version', async () => {
    const manager = new ConnectionManager({ uri: freshDatabaseUri('conn') });
    managers.push(manager);
    const seen: DbState[] = [];
    manager.on('state', (s) => seen.push(s));
    await manager.connect();
    expect(seen.map((s) => s.status)).toEqual(['connecting', 'connected']);
    expect(manager.state.serverVersion).toMatch(/^\d+\.\d+/);
    expect(await manager.ping()).toBeGreaterThanOrEqual(0);
    await manager.close();
    expect(manager.state.status).toBe('disconnected');
  });

  it('ends in `failed` within its timeout for an unreachable host, with the password masked', async () => {
    const port = await freePort();
    const manager = new ConnectionManager({
      uri: `mongodb://trader:hunter2@127.0.0.1:${port}/bm?wtimeoutMS=15000`,
      connectTimeoutMs: 2_000,
      serverSelectionTimeoutMs: 500,
      initialBackoffMs: 100,
    });
    managers.push(manager);
    const seen: DbState[] = [];
    manager.on('state', (s) => seen.push(s));
    const started = Date.now();
    const error = await manager.connect().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(error?.message).toContain('trader:****@');
    expect(error?.message).not.toContain('hunter2');
    expect(manager.state.status).toBe('failed');
    expect(manager.state.reason).toBeTruthy();
    expect(JSON.stringify(seen)).not.toContain('hunter2');
    expect(seen.map((s) => s.status)).toContain('reconnecting');
  });

  it('rejects a malformed URI before any connection attempt', () => {
    expect(() => new ConnectionManager({ uri: 'mongodb://user:pw@:27017/x' })).toThrow(InvalidConnectionStringError);
    expect(() => new ConnectionManager({ uri: 'postgres://localhost/x' })).toThrow('must start with mongodb://');
  });
});
