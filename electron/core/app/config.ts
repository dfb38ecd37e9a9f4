import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const APP_NAME = 'Backtest Monitor';

/** Where the database's own data lives when we start the embedded server. */
export const COMPOSE_HINT = 'Start MongoDB with: docker compose -f docker/mongodb/docker-compose.yaml up -d';

export interface AppConfig {
  /** Settings file, embedded database data, logs. */
  dataDir: string;
  settingsFile: string;
  /** CC_MONGO_CONNECTION_STRING when set (it wins over everything else). */
  envConnectionString?: string;
  /** Probe localhost:27017 before falling back to the embedded server. */
  probeLocalhost: boolean;
  /** Start the project's wire-protocol server when no other database answers. */
  embedded: boolean;
}

/** The platform's per-user app-data directory, matching Electron's app.getPath('userData'). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
}

/**
 * Configuration from the environment:
 * - CC_MONGO_CONNECTION_STRING: the database (skips localhost and embedded),
 * - BACKTEST_MONITOR_DATA_DIR: data directory (default: the platform's app-data dir),
 * - BACKTEST_MONITOR_DB=env|localhost|embedded|none: stop the search at that step (tests, CI).
 */
export function loadConfig(overrides: Partial<AppConfig> = {}, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const dataDir = resolve(overrides.dataDir ?? env.BACKTEST_MONITOR_DATA_DIR ?? defaultDataDir(env));
  const envUri = env.CC_MONGO_CONNECTION_STRING?.trim() || undefined;
  const only = env.BACKTEST_MONITOR_DB?.trim();
  if (only && !['env', 'localhost', 'embedded', 'none'].includes(only)) {
    throw new Error(`BACKTEST_MONITOR_DB must be one of env, localhost, embedded, none; got "${only}"`);
  }
  return {
    dataDir,
    settingsFile: join(dataDir, 'settings.json'),
    envConnectionString: envUri,
    probeLocalhost: only === undefined || only === 'localhost',
    embedded: only === undefined || only === 'embedded',
    ...overrides,
  };
}
