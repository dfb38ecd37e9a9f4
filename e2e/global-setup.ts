import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWireServer, type RunningWireServer } from '../electron/core/db/wire-server';
import { freePort, startProcess, stopProcess } from './support/processes';

/**
 * Starts what the e2e tests drive: the built app (built first if `out/` lacks it), a wire-protocol
 * database server with on-disk data (unless CC_MONGO_CONNECTION_STRING names a real MongoDB), and
 * the headless host on a free port with a fresh database. A small control endpoint lets a test stop
 * and restart the database on the same port (the outage test).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = process.cwd();
  const logDir = join(root, 'test-results');
  mkdirSync(logDir, { recursive: true });
  if (!existsSync(join(root, 'out', 'renderer', 'index.html')) || !existsSync(join(root, 'out', 'main', 'server.js'))) {
    console.log('e2e: out/ is missing the app, running npm run build…');
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
  }

  const work = mkdtempSync(join(tmpdir(), 'bm-e2e-'));
  const external = process.env.CC_MONGO_CONNECTION_STRING?.trim();
  const dbDataDir = join(work, 'mongo');
  let db: RunningWireServer | undefined;
  let dbPort = 0;
  if (!external) {
    dbPort = await freePort();
    db = await startWireServer({ port: dbPort, dataDir: dbDataDir, watchStdin: true });
  }
  const base = new URL(external ?? db!.uri);
  base.pathname = `/bme2e_${randomBytes(4).toString('hex')}`;
  const mongoUri = base.toString();

  const hostPort = await freePort();
  const host = await startProcess(process.execPath, [join(root, 'out', 'main', 'server.js'), '--port', String(hostPort), '--static', join(root, 'out', 'renderer')], {
    cwd: root,
    env: {
      ...process.env,
      CC_MONGO_CONNECTION_STRING: mongoUri,
      BACKTEST_MONITOR_DB: 'env',
      BACKTEST_MONITOR_DATA_DIR: join(work, 'app-data'),
    },
    ready: /Backtest Monitor UI: (http\S+)/,
    logFile: join(logDir, 'e2e-host.log'),
    timeoutMs: 120_000,
  });
  const appUrl = host.match[1]!;

  const control: Server = createServer((req, res) => {
    const done = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!db && !dbPort) return done(409, { error: 'an external MongoDB is in use; it cannot be stopped by the tests' });
    if (req.method === 'POST' && req.url === '/db/stop') {
      const running = db;
      db = undefined;
      void (running ? running.stop() : Promise.resolve()).then(() => done(200, { stopped: true }), (e: unknown) => done(500, { error: String(e) }));
    } else if (req.method === 'POST' && req.url === '/db/start') {
      if (db) return done(200, { started: false, uri: db.uri });
      startWireServer({ port: dbPort, dataDir: dbDataDir, watchStdin: true }).then(
        (s) => {
          db = s;
          done(200, { started: true, uri: s.uri });
        },
        (e: unknown) => done(500, { error: String(e) }),
      );
    } else done(404, { error: 'unknown control request' });
  });
  const controlPort = await freePort();
  await new Promise<void>((resolve) => control.listen(controlPort, '127.0.0.1', resolve));

  process.env.E2E_APP_URL = appUrl;
  process.env.E2E_MONGO_URI = mongoUri;
  process.env.E2E_DB_CONTROL = `http://127.0.0.1:${controlPort}`;
  console.log(`e2e: app ${appUrl}, database ${external ? 'external MongoDB' : `${db!.description} (${mongoUri})`}`);

  return async () => {
    control.close();
    await stopProcess(host.child);
    await db?.stop();
    rmSync(work, { recursive: true, force: true });
  };
}
