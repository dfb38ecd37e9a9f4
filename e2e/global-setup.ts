import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWireServer, type RunningWireServer } from '../electron/core/db/wire-server';
import { startHost, startProcess, stopProcess } from './support/processes';

/**
 * Starts what the e2e tests drive: the built app (built first if `out/` lacks it), a wire-protocol
 * database server in memory (unless CC_MONGO_CONNECTION_STRING names a real MongoDB), and
 * the fake Binance exchange for downloads, and the headless host on a free port with a fresh database.
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
  // In memory: the on-disk store is far slower for bulk candle writes. The outage test starts its
  // own on-disk server and host (e2e/support/outage-host.ts), so it can stop and restart it.
  const db: RunningWireServer | undefined = external ? undefined : await startWireServer({ port: 0, watchStdin: true });
  const base = new URL(external ?? db!.uri);
  base.pathname = `/bme2e_${randomBytes(4).toString('hex')}`;
  const mongoUri = base.toString();
  // The fake Binance (real REST format, the shared real candles) behind the Download form.
  const exchange = await startProcess(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'electron', 'core', 'market', 'fake-binance-cli.ts'), '--port', '0'], {
    cwd: root,
    ready: /FAKE_BINANCE_URL=(\S+)/,
    logFile: join(logDir, 'e2e-fake-binance.log'),
  });
  const host = await startHost({ root, mongoUri, dataDir: join(work, 'app-data'), logFile: join(logDir, 'e2e-host.log'), exchangeApiUrl: exchange.match[1] });

  // The page's address and the host's token: each test's fresh browser signs in with it (support/app.ts).
  process.env.E2E_APP_URL = host.base;
  process.env.E2E_APP_TOKEN = host.token;
  process.env.E2E_MONGO_URI = mongoUri;
  console.log(`e2e: app ${host.base}, database ${external ? 'external MongoDB' : `${db!.description} (${mongoUri})`}`);

  return async () => {
    await host.stop();
    await stopProcess(exchange.child);
    await db?.stop();
    rmSync(work, { recursive: true, force: true });
  };
}
