import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where the app keeps secrets (the saved connection string, exchange keys). The core never
 * imports electron: the desktop app passes a cipher backed by Electron's safeStorage (the OS
 * keychain); the headless host has none, and the secrets sit in a 0600 file.
 */
export interface SecretStore {
  /** For the log: where the secrets are and how they are protected. */
  readonly description: string;
  /** True when the values are encrypted by the OS keychain. */
  readonly encrypted: boolean;
  /** Set when the stored secrets could not be read: writing would replace them, so optional writes are skipped. */
  readonly loadProblem?: string | undefined;
  get(name: string): string | undefined;
  set(name: string, value: string | undefined): void;
}

/** Electron's safeStorage (or a stand-in in tests): encrypts with a key the OS keychain holds. */
export interface SecretCipher {
  encrypt(plain: string): Buffer;
  decrypt(encrypted: Buffer): string;
}

interface SecretFile {
  /** `plain` values are strings; `safeStorage` values are base64 of the encrypted bytes. */
  protection: 'plain' | 'safeStorage';
  values: Record<string, string>;
}

/**
 * Secrets in one JSON file, always created 0600 (owner only) and written atomically. With a
 * cipher each value is encrypted; without one they are readable by anyone who can read the
 * owner's files, which the log says once at start.
 */
export class FileSecretStore implements SecretStore {
  private values: Record<string, string> = {};
  readonly description: string;
  readonly encrypted: boolean;
  /** Set when the file could not be read (the secrets in it are then ignored, never overwritten silently). */
  readonly loadProblem: string | undefined;

  constructor(
    private readonly file: string,
    private readonly cipher?: SecretCipher,
  ) {
    this.encrypted = cipher !== undefined;
    this.description = cipher ? `${file}, encrypted with the OS keychain (Electron safeStorage)` : `${file} (mode 0600, not encrypted)`;
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = JSON.parse(text) as SecretFile;
      if (parsed.protection === 'safeStorage' && !cipher) {
        this.loadProblem = `${file} was encrypted by the desktop app's OS keychain; the headless host cannot read it (set the connection again or use CC_MONGO_CONNECTION_STRING)`;
        return;
      }
      for (const [name, stored] of Object.entries(parsed.values ?? {})) {
        this.values[name] = parsed.protection === 'safeStorage' ? cipher!.decrypt(Buffer.from(stored, 'base64')) : stored;
      }
      // A file written before by the headless host gets encrypted once the desktop app can.
      if (parsed.protection === 'plain' && cipher && Object.keys(this.values).length > 0) this.write();
      // Tighten a file someone loosened.
      chmodSync(file, 0o600);
    } catch (error) {
      this.values = {};
      this.loadProblem = `${file} cannot be read (${error instanceof Error ? error.message : String(error)}); the saved connection string is ignored`;
    }
  }

  get(name: string): string | undefined {
    return this.values[name];
  }

  set(name: string, value: string | undefined): void {
    if (value === undefined) delete this.values[name];
    else this.values[name] = value;
    this.write();
  }

  private write(): void {
    const content: SecretFile = {
      protection: this.cipher ? 'safeStorage' : 'plain',
      values: Object.fromEntries(
        Object.entries(this.values).map(([name, value]) => [name, this.cipher ? this.cipher.encrypt(value).toString('base64') : value]),
      ),
    };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }
}

/** Secrets held in memory only (tests). */
export class MemorySecretStore implements SecretStore {
  readonly description = 'memory';
  readonly encrypted = false;
  private readonly values = new Map<string, string>();
  get(name: string): string | undefined {
    return this.values.get(name);
  }
  set(name: string, value: string | undefined): void {
    if (value === undefined) this.values.delete(name);
    else this.values.set(name, value);
  }
}
