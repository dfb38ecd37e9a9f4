import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { startWireServer, type RunningWireServer } from '../db/wire-server';
import { loadConfig } from './config';
import { DatabaseHub, EMBEDDED_PASSWORD_SECRET, EMBEDDED_USER, portAnswers } from './database-hub';
import { FileSecretStore, MemorySecretStore } from './secret-store';
import { freePort } from '../../../test/support/ports';
import { freshDatabaseUri } from '../../../test/support/test-db';

describe('database selection', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bm-hub-'));
  let server: RunningWireServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports an unreachable CC_MONGO_CONNECTION_STRING without falling back, then connects once it comes up', async () => {
    const port = await freePort();
    const config = loadConfig({ dataDir, envConnectionString: `mongodb://127.0.0.1:${port}/hubtest` }, {});
    const hub = new DatabaseHub({ config, connectTimeoutMs: 600, retryMs: 300 });
    try {
      const status = await hub.start();
      expect(status).toMatchObject({ source: 'env', status: 'failed', hint: expect.stringContaining('docker compose') });
      server = await startWireServer({ port, watchStdin: true });
      await expect.poll(() => hub.status().status, { timeout: 20_000, interval: 100 }).toBe('connected');
      expect(hub.status()).toMatchObject({ source: 'env', maskedUri: `mongodb://127.0.0.1:${port}/hubtest` });
    } finally {
      await hub.close();
    }
  });

  it('falls back to the embedded server with its data in the data dir', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: true }, {});
    const hub = new DatabaseHub({ config });
    try {
      const status = await hub.start();
      expect(status).toMatchObject({ source: 'embedded', status: 'connected' });
      expect(status.label).toContain(join(dataDir, 'mongo'));
    } finally {
      await hub.close();
    }
  });

  it('starts the embedded server with a password kept in the secret store, works through it, and never shows the password', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: true }, {});
    const secrets = new MemorySecretStore();
    const logged: string[] = [];
    const log = (level: string, message: string): void => void logged.push(`${level} ${message}`);
    const hub = new DatabaseHub({ config, secrets, log });
    let password: string | undefined;
    let port: number;
    try {
      const status = await hub.start();
      expect(status).toMatchObject({ source: 'embedded', status: 'connected' });
      password = secrets.get(EMBEDDED_PASSWORD_SECRET);
      expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The app reads and writes through its authenticated connection.
      const things = hub.connection!.connection.db!.collection('auth_things');
      await things.insertOne({ name: 'through the password' });
      expect(await things.countDocuments({ name: 'through the password' })).toBe(1);
      port = Number(new URL(`http://${hub.connection!.config.hosts[0]}`).port);
      // Any other local process that finds the port is refused.
      const stranger = await mongoose.createConnection(`mongodb://127.0.0.1:${port}/backtest-kit`, { serverSelectionTimeoutMS: 10_000 }).asPromise();
      try {
        await expect(stranger.db!.collection('auth_things').find({}).toArray()).rejects.toMatchObject({ code: 13 });
      } finally {
        await stranger.close();
      }
      const shown = JSON.stringify(hub.status());
      expect(shown).toContain(`${EMBEDDED_USER}:****@127.0.0.1:${port}`);
      expect(shown).not.toContain(password!);
    } finally {
      await hub.close();
    }
    expect(logged.join('\n')).toContain('using embedded');
    expect(logged.join('\n')).not.toContain(password!);

    // Next start on the same data dir: the same password, from the store.
    const again = new DatabaseHub({ config, secrets, log });
    try {
      expect(await again.start()).toMatchObject({ source: 'embedded', status: 'connected' });
      expect(secrets.get(EMBEDDED_PASSWORD_SECRET)).toBe(password);
      expect(await again.connection!.connection.db!.collection('auth_things').countDocuments({})).toBe(1);
    } finally {
      await again.close();
    }
  });

  it('without a secret store the embedded server still gets a (per-run) password', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: true }, {});
    const hub = new DatabaseHub({ config });
    try {
      expect(await hub.start()).toMatchObject({ source: 'embedded', status: 'connected', maskedUri: expect.stringContaining(`${EMBEDDED_USER}:****@`) });
      const port = Number(new URL(`http://${hub.connection!.config.hosts[0]}`).port);
      const stranger = await mongoose.createConnection(`mongodb://127.0.0.1:${port}/backtest-kit`, { serverSelectionTimeoutMS: 10_000 }).asPromise();
      try {
        await expect(stranger.db!.collection('auth_things').insertOne({ sneaked: true })).rejects.toMatchObject({ code: 13 });
      } finally {
        await stranger.close();
      }
    } finally {
      await hub.close();
    }
  });

  it('does not write its password over a secrets file it cannot read (the desktop app\'s, encrypted)', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: true }, {});
    const file = join(dataDir, 'desktop-secrets.json');
    const desktop = `${JSON.stringify({ protection: 'safeStorage', values: { connectionString: 'ZW5jcnlwdGVk' } })}\n`;
    writeFileSync(file, desktop, { mode: 0o600 });
    const secrets = new FileSecretStore(file);
    expect(secrets.loadProblem).toBeDefined();
    const hub = new DatabaseHub({ config, secrets });
    try {
      expect(await hub.start()).toMatchObject({ source: 'embedded', status: 'connected' });
      expect(readFileSync(file, 'utf8')).toBe(desktop);
    } finally {
      await hub.close();
    }
  });

  it('runs with no database at all and says how to start one', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, {});
    const hub = new DatabaseHub({ config });
    try {
      expect(await hub.start()).toMatchObject({ source: 'none', status: 'disconnected', hint: 'Start MongoDB with: docker compose -f docker/mongodb/docker-compose.yaml up -d' });
      expect(hub.connection).toBeUndefined();
    } finally {
      await hub.close();
    }
  });
});

describe('database switching cannot be abused', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bm-hub-abuse-'));
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const listen = async (onSocket: (socket: Socket) => void): Promise<number> => {
    const server = createServer(onSocket);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.address() as AddressInfo).port;
  };

  it('database.test is no port scanner: refused, closed, not MongoDB and silent ports get the same answer after the same time', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, {});
    const hub = new DatabaseHub({ config, testTimeoutMs: 1500, testsPerMinute: 100 });
    const ports = {
      refused: await freePort(),
      closed: await listen((socket) => socket.destroy()),
      http: await listen((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')),
      silent: await listen(() => undefined),
    };
    const answers = await Promise.all(
      Object.entries(ports).map(async ([kind, port]) => {
        const started = Date.now();
        const answer = await hub.test(`mongodb://127.0.0.1:${port}/x`);
        return { kind, ms: Date.now() - started, error: answer.error, ok: answer.ok };
      }),
    );
    for (const a of answers) {
      expect(a, a.kind).toMatchObject({ ok: false, error: answers[0]!.error });
      expect(a.ms, a.kind).toBeGreaterThanOrEqual(1450);
      expect(a.ms, a.kind).toBeLessThan(4000);
    }
    expect(answers[0]!.error).not.toMatch(/ECONNREFUSED|ETIMEDOUT|hang up|\d{4,5}/);
    await hub.close();
  });

  it('database.test is rate-limited', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, {});
    const hub = new DatabaseHub({ config, testTimeoutMs: 200, testsPerMinute: 3 });
    const port = await freePort();
    for (let i = 0; i < 3; i++) expect((await hub.test(`mongodb://127.0.0.1:${port}/x`)).ok).toBe(false);
    await expect(hub.test(`mongodb://127.0.0.1:${port}/x`)).rejects.toThrow(/too many connection tests/);
    await hub.close();
  });

  it('a switch made while the start-up search is still trying a dead saved URI wins', async () => {
    const silent = await listen(() => undefined);
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: false }, {});
    const hub = new DatabaseHub({ config, settingsConnectionString: `mongodb://127.0.0.1:${silent}/stale`, connectTimeoutMs: 2500 });
    try {
      const starting = hub.start();
      expect(hub.status().status).toBe('connecting');
      const target = freshDatabaseUri('hub_switch');
      expect(await hub.switchTo({ connectionString: target })).toBeUndefined();
      await starting;
      expect(hub.status()).toMatchObject({ source: 'custom', status: 'connected', maskedUri: target });
    } finally {
      await hub.close();
    }
  });

  it('connecting to the embedded server by its own URI keeps it running', async () => {
    const config = loadConfig({ dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: true }, {});
    const hub = new DatabaseHub({ config });
    try {
      expect(await hub.start()).toMatchObject({ source: 'embedded', status: 'connected' });
      const port = Number(new URL(`http://${hub.connection!.config.hosts[0]}`).port);
      expect(await hub.switchTo({ connectionString: `mongodb://127.0.0.1:${port}/other` })).toBeUndefined();
      expect(hub.status()).toMatchObject({ source: 'embedded', status: 'connected' });
      expect(hub.usesEmbedded).toBe(true);
      expect(await portAnswers('127.0.0.1', port)).toBe(true);
      await hub.connection!.connection.db!.admin().ping();
    } finally {
      await hub.close();
    }
  });
});
