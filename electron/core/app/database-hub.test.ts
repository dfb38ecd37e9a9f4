import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startWireServer, type RunningWireServer } from '../db/wire-server';
import { loadConfig } from './config';
import { DatabaseHub } from './database-hub';
import { freePort } from '../../../test/support/ports';

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
