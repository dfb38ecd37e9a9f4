import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSecretStore, type SecretCipher } from './secret-store';
import { SettingsStore } from './settings-store';

/** A stand-in for Electron's safeStorage: reversible, and the plain text never appears in its output. */
const fakeSafeStorage: SecretCipher = {
  encrypt: (plain) => Buffer.from(`enc:${Buffer.from(plain).toString('hex')}`),
  decrypt: (encrypted) => Buffer.from(encrypted.toString().slice(4), 'hex').toString(),
};

describe('secrets at rest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const URI = 'mongodb://trader:hunter22@db.example:27017/bt';

  it('headless: a 0600 file, said to be unencrypted', () => {
    const file = join(dir, 'plain.json');
    const store = new FileSecretStore(file);
    store.set('connectionString', URI);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(store.encrypted).toBe(false);
    expect(store.description).toMatch(/0600, not encrypted/);
    expect(new FileSecretStore(file).get('connectionString')).toBe(URI);
  });

  it('desktop: encrypted with the injected safeStorage; a plain file is encrypted on first read', () => {
    const file = join(dir, 'plain.json');
    const store = new FileSecretStore(file, fakeSafeStorage);
    expect(store.get('connectionString')).toBe(URI);
    expect(readFileSync(file, 'utf8')).not.toContain('hunter22');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ protection: 'safeStorage' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The headless host cannot read what the keychain encrypted, and says so instead of failing.
    const headless = new FileSecretStore(file);
    expect(headless.get('connectionString')).toBeUndefined();
    expect(headless.loadProblem).toMatch(/OS keychain/);
  });

  it('a connection string left in settings.json by an earlier version moves to the secret store', () => {
    const settingsFile = join(dir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ theme: 'light', connectionString: URI }));
    const secrets = new FileSecretStore(join(dir, 'moved.json'), fakeSafeStorage);
    const settings = new SettingsStore(settingsFile, secrets);
    expect(readFileSync(settingsFile, 'utf8')).not.toContain('hunter22');
    expect(settings.raw.connectionString).toBe(URI);
    expect(settings.masked.connectionString).toBe('mongodb://trader:****@db.example:27017/bt');
    expect(settings.raw.theme).toBe('light');
  });
});
