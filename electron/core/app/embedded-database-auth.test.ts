import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { createAppCore, type AppCore } from './app-core';
import { EMBEDDED_PASSWORD_SECRET } from './database-hub';

/** The app as the headless host runs it (secrets in a 0600 file), on the embedded database only. */
async function openCore(dataDir: string): Promise<AppCore> {
  return createAppCore({
    config: { dataDir, envConnectionString: undefined, probeLocalhost: false, embedded: true },
    echoLog: false,
    databaseWaitMs: 60_000,
  });
}

describe('the app on its embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bm-embedded-auth-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts it with a password of its own, kept across restarts, that neither database.status nor the log reveals', async () => {
    const core = await openCore(dataDir);
    let password: string;
    let port: number;
    try {
      await core.databaseReady;
      const secretsFile = join(dataDir, 'secrets.json');
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      password = (JSON.parse(readFileSync(secretsFile, 'utf8')) as { values: Record<string, string> }).values[EMBEDDED_PASSWORD_SECRET]!;
      expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const status = await core.dispatch('database.status', {});
      expect(status).toMatchObject({ ok: true, data: { source: 'embedded', status: 'connected' } });
      expect(JSON.stringify(status)).not.toContain(password);
      const log = JSON.stringify(core.log.tail(1000));
      expect(log).toContain('using embedded');
      expect(log).not.toContain(password);

      port = Number(new URL(`http://${core.database.connection!.config.hosts[0]}`).port);
      const stranger = await mongoose.createConnection(`mongodb://127.0.0.1:${port}/backtest-kit`, { serverSelectionTimeoutMS: 10_000 }).asPromise();
      try {
        await expect(stranger.db!.listCollections().toArray()).rejects.toMatchObject({ code: 13 });
      } finally {
        await stranger.close();
      }
      await core.database.connection!.connection.collection('auth_check').insertOne({ kept: true });
    } finally {
      await core.shutdown();
    }

    const again = await openCore(dataDir);
    try {
      await again.databaseReady;
      expect(again.databaseStatus()).toMatchObject({ source: 'embedded', status: 'connected' });
      expect(again.settings.raw.connectionString).toBeUndefined();
      expect(await again.database.connection!.connection.collection('auth_check').countDocuments({ kept: true })).toBe(1);
      const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { values: Record<string, string> };
      expect(secrets.values[EMBEDDED_PASSWORD_SECRET]).toBe(password);
    } finally {
      await again.shutdown();
    }
  }, 120_000);
});
