import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWireServer, type RunningWireServer } from '../../electron/core/db/wire-server';
import { freePort, startHost, type RunningHost } from './processes';

export interface OutageSetup {
  url: string;
  /** The host's database, for tests that check what was really stored. */
  mongoUri: string;
  stopDatabase(): Promise<void>;
  startDatabase(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A host of its own on a wire-protocol server with on-disk data, so the test can stop the database
 * and start it again on the same port with everything written before the stop still there.
 */
export async function startOutageSetup(root = process.cwd()): Promise<OutageSetup> {
  const work = mkdtempSync(join(tmpdir(), 'bm-e2e-outage-'));
  const dataDir = join(work, 'mongo');
  const port = await freePort();
  let db: RunningWireServer | undefined = await startWireServer({ port, dataDir, watchStdin: true });
  const uri = new URL(db.uri);
  uri.pathname = `/bme2e_outage_${randomBytes(3).toString('hex')}`;
  let host: RunningHost | undefined;
  try {
    host = await startHost({ root, mongoUri: uri.toString(), dataDir: join(work, 'app-data'), logFile: join(root, 'test-results', 'e2e-outage-host.log') });
  } catch (error) {
    await db.stop();
    throw error;
  }
  return {
    url: host.url,
    mongoUri: uri.toString(),
    async stopDatabase() {
      await db?.stop();
      db = undefined;
    },
    async startDatabase() {
      db ??= await startWireServer({ port, dataDir, watchStdin: true });
    },
    async close() {
      await host?.stop();
      await db?.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
