import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ConnectionManager } from './connection-manager';

/** Runs `npm run db:server` the way a developer does and returns the URI line it prints. */
function startCli(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'electron/core/db/wire-server-cli.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve({ child, line }));
    child.once('exit', (code) => reject(new Error(`db:server exited with ${code}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('npm run db:server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bm-wire-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints its URI, accepts a mongoose client, and keeps on-disk data across restarts', async () => {
    const first = await startCli(['--port', '0', '--data', dataDir]);
    const uri = first.line.split(' ')[0]!;
    expect(uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    expect(first.line).toContain('mongo-java-server');
    const port = new URL(uri).port;
    const manager = new ConnectionManager({ uri: `${uri}persisted` });
    await manager.connect();
    await manager.connection.collection('things').insertOne({ name: 'kept' });
    await manager.close();
    expect(await stop(first.child)).toBe(0);

    const second = await startCli(['--port', port, '--data', dataDir]);
    const again = new ConnectionManager({ uri: `${uri}persisted` });
    await again.connect();
    expect(await again.connection.collection('things').countDocuments({ name: 'kept' })).toBe(1);
    await again.close();
    await stop(second.child);
  }, 90_000);

  it('rejects a bad port with a clear message', async () => {
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'electron/core/db/wire-server-cli.ts', '--port', 'abc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('--port: "abc" is not a port number');
  });
});

describe('embedded server exposure', () => {
  it('binds loopback only: it has no authentication, so another address is refused unless asked for explicitly', async () => {
    const { startWireServer, isLoopbackHost } = await import('./wire-server');
    expect(['127.0.0.1', '127.0.0.2', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.5', 'example.com'].some(isLoopbackHost)).toBe(false);
    await expect(startWireServer({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/no authentication/);
  });
});
