import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAppCore } from '../core/app/app-core';
import { installCrashGuard } from '../core/app/crash-guard';
import { buildCoreParts } from '../core/app/core-parts';
import { startHost } from './ws-host';

/**
 * The headless host: `node out/main/server.js [--port N] [--host ADDR] [--token T] [--allowed-host NAME]… [--static DIR]
 * [--strategies-dir DIR] [--import-dir DIR]…`.
 * Environment: BACKTEST_MONITOR_PORT, BACKTEST_MONITOR_HOST, BACKTEST_MONITOR_TOKEN,
 * BACKTEST_MONITOR_ALLOWED_HOSTS (comma-separated), plus the core's (CC_MONGO_CONNECTION_STRING,
 * BACKTEST_MONITOR_DATA_DIR, BACKTEST_MONITOR_DB). It prints the page's address with a one-time
 * sign-in code; see docs/security.md.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      static: { type: 'string' },
      'strategies-dir': { type: 'string' },
      'import-dir': { type: 'string', multiple: true },
    },
  });
  // Folders the app reads from are the host's to choose (command line or environment), never a client's.
  if (values['strategies-dir']) process.env.BACKTEST_MONITOR_STRATEGIES_DIR = resolve(values['strategies-dir']);
  if (values['import-dir']) process.env.BACKTEST_MONITOR_IMPORT_DIRS = values['import-dir'].map((d) => resolve(d)).join(delimiter);
  const allowedHosts = [...(values['allowed-host'] ?? []), ...(process.env.BACKTEST_MONITOR_ALLOWED_HOSTS ?? '').split(',')].map((h) => h.trim()).filter(Boolean);
  const port = Number(values.port ?? process.env.BACKTEST_MONITOR_PORT ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`);
  const here = dirname(fileURLToPath(import.meta.url));
  const staticDir = resolve(values.static ?? [join(here, '..', 'renderer'), join(process.cwd(), 'out', 'renderer')].find((d) => existsSync(d)) ?? join(process.cwd(), 'out', 'renderer'));

  let logCrash = (message: string): void => console.error(message);
  installCrashGuard((message) => logCrash(message));
  const core = await createAppCore({ parts: buildCoreParts });
  logCrash = (message) => core.log.error(message, 'host');
  let host: Awaited<ReturnType<typeof startHost>>;
  try {
    host = await startHost(core, {
      port,
      host: values.host ?? process.env.BACKTEST_MONITOR_HOST ?? '127.0.0.1',
      token: values.token ?? process.env.BACKTEST_MONITOR_TOKEN,
      allowedHosts,
      staticDir,
      // One size cap for path imports and uploads (BACKTEST_MONITOR_MAX_IMPORT_MB).
      maxUploadBytes: core.config.maxImportBytes,
      log: (level, message) => core.log.write(level, message, 'host'),
    });
  } catch (error) {
    await core.shutdown();
    throw error;
  }
  // The code signs one browser in once (it becomes an HttpOnly cookie); with --token, the sign-in page also takes the token.
  const shown = host.loginUrl().replace(/\/\/(0\.0\.0\.0|\[::\])/, '//127.0.0.1');
  console.log(`Backtest Monitor UI: ${shown}`);
  console.log(`Database: ${core.databaseStatus().label}${core.databaseStatus().hint ? ` — ${core.databaseStatus().hint}` : ''}`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    core.log.info(`${signal}: shutting down`, 'host');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await host.close();
    await core.shutdown();
    clearTimeout(force);
    console.log('Backtest Monitor host stopped.');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(`Backtest Monitor host failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
