import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export const APP_NAME = 'Backtest Monitor';

/** Where the database's own data lives when we start the embedded server. */
export const COMPOSE_HINT = 'Start MongoDB with: docker compose -f docker/mongodb/docker-compose.yaml up -d';

/** The largest candle file a path import or an upload may be (a year of 1m candles is ~50 MB). */
export const DEFAULT_MAX_IMPORT_BYTES = 512 * 1024 * 1024;

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
  /**
   * The user's strategies folder when set on the host (--strategies-dir,
   * BACKTEST_MONITOR_STRATEGIES_DIR); it wins over the one picked in the desktop app's dialog.
   * Never settable through the contract: the app runs the code it finds there.
   */
  strategiesDir?: string;
  /**
   * The only folders `candles.import {kind: 'path'}` may read from (--import-dir,
   * BACKTEST_MONITOR_IMPORT_DIRS, separated like PATH). Default `<dataDir>/imports`; empty turns
   * path imports off.
   */
  importDirs: string[];
  /** Where uploads wait for their import: generated names, never a folder code is loaded from. */
  uploadsDir: string;
  /** Largest file a path import or an upload may be. */
  maxImportBytes: number;
}

/** The platform's per-user app-data directory, matching Electron's app.getPath('userData'). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
}

function importDirsFrom(value: string | undefined, dataDir: string): string[] {
  if (value === undefined) return [join(dataDir, 'imports')];
  return value
    .split(delimiter)
    .map((d) => d.trim())
    .filter((d) => d !== '')
    .map((d) => resolve(d));
}

/**
 * Configuration from the environment:
 * - CC_MONGO_CONNECTION_STRING: the database (skips localhost and embedded),
 * - BACKTEST_MONITOR_DATA_DIR: data directory (default: the platform's app-data dir),
 * - BACKTEST_MONITOR_DB=env|localhost|embedded|none: stop the search at that step (tests, CI),
 * - BACKTEST_MONITOR_STRATEGIES_DIR: the user's strategies folder,
 * - BACKTEST_MONITOR_IMPORT_DIRS: folders path imports may read (PATH-style list; "" = none),
 * - BACKTEST_MONITOR_MAX_IMPORT_MB: size cap for imported files and uploads.
 */
export function loadConfig(overrides: Partial<AppConfig> = {}, env: NodeJS.ProcessEnv = process.env): AppConfig {
  const dataDir = resolve(overrides.dataDir ?? env.BACKTEST_MONITOR_DATA_DIR ?? defaultDataDir(env));
  const envUri = env.CC_MONGO_CONNECTION_STRING?.trim() || undefined;
  const only = env.BACKTEST_MONITOR_DB?.trim();
  if (only && !['env', 'localhost', 'embedded', 'none'].includes(only)) {
    throw new Error(`BACKTEST_MONITOR_DB must be one of env, localhost, embedded, none; got "${only}"`);
  }
  const maxMb = env.BACKTEST_MONITOR_MAX_IMPORT_MB?.trim();
  if (maxMb !== undefined && maxMb !== '' && !(Number(maxMb) > 0)) {
    throw new Error(`BACKTEST_MONITOR_MAX_IMPORT_MB must be a positive number of megabytes; got "${maxMb}"`);
  }
  const strategiesDir = env.BACKTEST_MONITOR_STRATEGIES_DIR?.trim() || undefined;
  const config: AppConfig = {
    settingsFile: join(dataDir, 'settings.json'),
    envConnectionString: envUri,
    probeLocalhost: only === undefined || only === 'localhost',
    embedded: only === undefined || only === 'embedded',
    importDirs: importDirsFrom(env.BACKTEST_MONITOR_IMPORT_DIRS, dataDir),
    uploadsDir: join(dataDir, 'uploads'),
    maxImportBytes: maxMb ? Math.round(Number(maxMb) * 1024 * 1024) : DEFAULT_MAX_IMPORT_BYTES,
    ...(strategiesDir ? { strategiesDir: resolve(strategiesDir) } : {}),
    ...overrides,
    dataDir,
  };
  return config;
}
