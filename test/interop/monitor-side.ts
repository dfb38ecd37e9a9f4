import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from 'mongoose';
import { ConnectionManager } from '../../electron/core/db/connection-manager';
import { createPersistence, type CreatePersistenceOptions, type Persistence } from '../../electron/core/persist';

/** The monitor's side of an interop test: its connection to the bot's database and a live persistence on it. */
export interface MonitorSide {
  manager: ConnectionManager;
  conn: Connection;
  persistence: Persistence;
  dataDir: string;
  /** Closes the persistence, drops the test database, closes the connection and removes the data dir. */
  dispose(): Promise<void>;
}

export async function openMonitorSide(uri: string, dirPrefix: string, options: Omit<CreatePersistenceOptions, 'mode' | 'dataDir' | 'connection'> = {}): Promise<MonitorSide> {
  const manager = new ConnectionManager({ uri });
  await manager.connect();
  const conn = manager.connection;
  const dataDir = await fsp.mkdtemp(join(tmpdir(), dirPrefix));
  const persistence = await createPersistence({ ...options, mode: 'live', dataDir, connection: manager });
  return {
    manager,
    conn,
    persistence,
    dataDir,
    async dispose() {
      await persistence.close();
      if (manager.isConnected) await conn.dropDatabase().catch(() => undefined);
      await manager.close();
      await fsp.rm(dataDir, { recursive: true, force: true });
    },
  };
}
