import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { settingsSchema, type Settings, type SettingsPatch } from '../../../shared/contract/channels';
import { describeIssues, issuesOf } from '../../../shared/contract/validate';
import { maskConnectionString } from '../db/connection-string';
import { MemorySecretStore, type SecretStore } from './secret-store';

export const DEFAULT_SETTINGS: Settings = {
  osNotifications: { 'signal.closed': true, 'error.critical': true, 'run.completed': true },
  theme: 'dark',
};

const storedSchema = settingsSchema.partial().extend({ osNotifications: settingsSchema.shape.osNotifications.partial().optional() });

/** Settings only the core (the desktop app's own dialogs, the host's configuration) may change. */
export interface HostSideSettings {
  connectionString?: string;
  strategiesDir?: string;
}

const CONNECTION_SECRET = 'connectionString';

/**
 * The settings file (JSON in the data dir). Reads are forgiving (a broken file falls back to the
 * defaults and says why); writes go to a temp file and are renamed so a crash never leaves half a
 * file. The connection string lives in the secret store (OS keychain in the desktop app), never in
 * this file, and only ever leaves the core masked.
 */
export class SettingsStore {
  private current: Settings;
  readonly loadProblem: string | undefined;

  constructor(
    private readonly file: string,
    private readonly secrets: SecretStore = new MemorySecretStore(),
  ) {
    const { settings, problem } = readSettings(file);
    this.loadProblem = problem;
    // A connection string saved in the settings file by an earlier version moves to the secret store.
    const legacy = settings.connectionString;
    delete settings.connectionString;
    this.current = settings;
    if (legacy !== undefined) {
      if (secrets.get(CONNECTION_SECRET) === undefined) secrets.set(CONNECTION_SECRET, legacy);
      this.write(settings);
    }
  }

  /** The full settings, connection string included: for the core only. */
  get raw(): Settings {
    const connectionString = this.secrets.get(CONNECTION_SECRET);
    return connectionString !== undefined ? { ...this.current, connectionString } : { ...this.current };
  }

  /** What the renderer may see. */
  get masked(): Settings {
    const s = this.raw;
    return s.connectionString ? { ...s, connectionString: maskConnectionString(s.connectionString) } : s;
  }

  /** A client's change (`settings.set`): display preferences only, see settingsPatchSchema. */
  update(patch: SettingsPatch): Settings {
    this.write({
      ...this.current,
      ...(patch.theme !== undefined ? { theme: patch.theme } : {}),
      osNotifications: { ...this.current.osNotifications, ...patch.osNotifications },
    });
    return this.masked;
  }

  /** A change made by the core itself: the database after a successful `database.connect`, the folder from the desktop dialog. */
  updateHostSide(patch: HostSideSettings): Settings {
    if ('connectionString' in patch) this.secrets.set(CONNECTION_SECRET, patch.connectionString);
    if ('strategiesDir' in patch) {
      const next = { ...this.current };
      if (patch.strategiesDir === undefined) delete next.strategiesDir;
      else next.strategiesDir = patch.strategiesDir;
      this.write(next);
    }
    return this.masked;
  }

  private write(next: Settings): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
    this.current = next;
  }
}

function readSettings(file: string): { settings: Settings; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { settings: DEFAULT_SETTINGS };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { settings: DEFAULT_SETTINGS, problem: `${file} is not valid JSON (${(error as Error).message}); using defaults` };
  }
  const parsed = storedSchema.safeParse(json);
  if (!parsed.success) {
    return { settings: DEFAULT_SETTINGS, problem: `${file}: ${describeIssues(issuesOf(parsed.error as z.ZodError))}; using defaults` };
  }
  const stored = parsed.data;
  return {
    settings: {
      ...DEFAULT_SETTINGS,
      ...stored,
      osNotifications: { ...DEFAULT_SETTINGS.osNotifications, ...stored.osNotifications },
    } as Settings,
  };
}
