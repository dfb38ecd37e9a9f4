import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { findProjectRoot, provisionWireServer, startWireServer, WIRE_SERVER_DIR_ENV } from './wire-server';

/**
 * The packaged desktop app: no project tree, no Maven, no javac; the embedded database comes built
 * in the app's resources (electron-builder's extraResources) and runs on the user's Java.
 */
describe('embedded database from a prebuilt directory (the packaged app)', () => {
  const saved = { dir: process.env[WIRE_SERVER_DIR_ENV], root: process.env.BACKTEST_MONITOR_ROOT, path: process.env.PATH };
  const temp: string[] = [];

  /** A "resources/mongo-server" as the package step lays it out, and a root with no project in it. */
  function packagedLayout(): { resources: string; noProject: string } {
    const source = join(findProjectRoot(), '.cache', 'mongo-server');
    provisionWireServer(); // what `npm run package:*` does first
    const base = mkdtempSync(join(tmpdir(), 'bm-packaged-'));
    temp.push(base);
    const resources = join(base, 'resources', 'mongo-server');
    cpSync(join(source, 'lib'), join(resources, 'lib'), { recursive: true });
    cpSync(join(source, 'classes'), join(resources, 'classes'), { recursive: true });
    const noProject = join(base, 'no-project');
    mkdirSync(noProject);
    return { resources, noProject };
  }

  function restore(name: string, value: string | undefined): void {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }

  afterEach(() => {
    restore(WIRE_SERVER_DIR_ENV, saved.dir);
    restore('BACKTEST_MONITOR_ROOT', saved.root);
    restore('PATH', saved.path);
    for (const dir of temp.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('starts from the prebuilt jars and classes without a project tree to build from', async () => {
    const { resources, noProject } = packagedLayout();
    process.env[WIRE_SERVER_DIR_ENV] = resources;
    // Building would need scripts/mongo-server/pom.xml under this root: there is none.
    process.env.BACKTEST_MONITOR_ROOT = noProject;
    expect(() => provisionWireServer()).toThrow();
    const server = await startWireServer({ credentials: { username: 'packaged', password: 'packaged-password-1' } });
    const conn = mongoose.createConnection(server.connectionString('prebuilt'), { serverSelectionTimeoutMS: 10_000 });
    try {
      await conn.asPromise();
      await conn.db!.collection('probe').insertOne({ at: 1 });
      expect(await conn.db!.collection('probe').countDocuments()).toBe(1);
      expect(server.process.spawnargs.join(' ')).toContain(join(resources, 'classes'));
    } finally {
      await conn.close();
      await server.stop();
    }
  }, 90_000);

  it('says what is missing when the directory holds no built server', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'bm-packaged-empty-'));
    temp.push(empty);
    process.env[WIRE_SERVER_DIR_ENV] = empty;
    await expect(startWireServer()).rejects.toThrow(/is not built in .*bm-packaged-empty-.*MongoServerLauncher\.class/);
  });

  it('without Java on the PATH, fails with that reason instead of taking the process down', async () => {
    const { resources } = packagedLayout();
    process.env[WIRE_SERVER_DIR_ENV] = resources;
    process.env.PATH = join(tmpdir(), 'bm-no-java-here');
    await expect(startWireServer({ startTimeoutMs: 20_000 })).rejects.toThrow(/needs a Java runtime \(17 or newer\) on the PATH: .*ENOENT/);
  });
});
