import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { settingsSchema, type Settings, type SettingsPatch } from '../../../shared/contract/channels';
import { describeIssues, issuesOf } from '../../../shared/contract/validate';
import { maskConnectionString } from '../db/connection-string';

export const DEFAULT_SETTINGS: Settings = {
  osNotifications: { 'signal.closed': true, 'error.critical': true, 'run.completed': true },
  theme: 'dark',
};

const storedSchema = settingsSchema.partial().extend({ osNotifications: settingsSchema.shape.osNotifications.partial().optional() });

/**
 * The settings file (JSON in the data dir). Reads are forgiving (a broken file falls back to the
 * defaults and says why); writes go to a temp file and are renamed so a crash never leaves half a
 * file. The connection string is stored in full but only ever leaves here masked.
 */
export class SettingsStore {
  private current: Settings;
  readonly loadProblem: string | undefined;

  constructor(private readonly file: string) {
    const { settings, problem } = readSettings(file);
    this.current = settings;
    this.loadProblem = problem;
  }

  /** The full settings, connection string included: for the core only. */
  get raw(): Settings {
    return this.current;
  }

  /** What the renderer may see. */
  get masked(): Settings {
    const s = this.current;
    return s.connectionString ? { ...s, connectionString: maskConnectionString(s.connectionString) } : { ...s };
  }

  update(patch: SettingsPatch): Settings {
    const next: Settings = {
      ...this.current,
      ...patch,
      osNotifications: { ...this.current.osNotifications, ...patch.osNotifications },
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
    this.current = next;
    return this.masked;
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
