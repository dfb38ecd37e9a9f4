import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../../../shared/contract/result';
import { freshDatabaseUri, openTestDb, type TestDb } from '../../../test/support/test-db';
import { createAppCore, type AppCore } from './app-core';
import { buildCoreParts } from './core-parts';
import { PATH_REFUSED } from './import-paths';
import { createCandlesPart } from './parts/candles-part';
import { UploadStore } from './uploads';

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const row = (ts: number): string => [ts, 1, 2, 0.5, 1.5, 10, ts + M - 1, 10, 5, 1, 1, 0].join(',');
const csv = (n: number, from = T0): string => Array.from({ length: n }, (_, i) => row(from + i * M)).join('\n');
/** A file that is valid CSV and valid JavaScript at once: the code-execution chain of issue 10. */
const POLYGLOT = `${row(T0)}\n//,\nglobalThis.__pwned = true; export default { name: 'pwned' };\n`;

/**
 * Issue 10, "host-side configuration stays host-side": what a connected client can no longer do
 * (choose the strategies folder, place a module where code is loaded, read a path it chose).
 */
describe('host-side configuration through the app core', () => {
  let root: string;
  let dataDir: string;
  let importDir: string;
  let outside: string;
  let core: AppCore;
  const dispatch = (channel: string, payload?: unknown) => core.dispatch(channel, payload);
  const key = { exchangeName: 'binance', symbol: 'SEC/BTC', interval: '1m' as const };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'bm-hostside-'));
    dataDir = join(root, 'data');
    importDir = join(root, 'imports');
    outside = join(root, 'outside');
    mkdirSync(importDir, { recursive: true });
    mkdirSync(outside, { recursive: true });
    core = await createAppCore({
      config: {
        dataDir,
        envConnectionString: freshDatabaseUri('host_side'),
        probeLocalhost: false,
        embedded: false,
        importDirs: [importDir],
        maxImportBytes: 64 * 1024,
        // A host misconfigured to load strategies from where uploads land: refused, not obeyed.
        strategiesDir: join(dataDir, 'uploads'),
      },
      parts: buildCoreParts,
      echoLog: false,
    });
    await core.databaseReady;
  });
  afterAll(async () => {
    await core.database.connection?.connection.dropDatabase().catch(() => undefined);
    await core.shutdown();
    rmSync(root, { recursive: true, force: true });
  });

  it('settings.set refuses the strategies folder and the database; settings.get shows the folder read-only', async () => {
    const settingsFile = join(dataDir, 'settings.json');
    unwrap(await dispatch('settings.set', { theme: 'light' }));
    const before = readFileSync(settingsFile, 'utf8');
    for (const patch of [{ strategiesDir: join(dataDir, 'imports') }, { connectionString: 'mongodb://evil.example:27017/x' }]) {
      expect(await dispatch('settings.set', patch)).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    }
    expect(readFileSync(settingsFile, 'utf8')).toBe(before);
    const shown = unwrap(await dispatch('settings.get')) as { strategiesDir?: string };
    // The clashing folder is not in effect.
    expect(shown.strategiesDir).toBeUndefined();
  });

  it('the code-execution chain fails: an upload named x.mjs lands as <uuid>.csv and is never loaded as a strategy', async () => {
    const uploadsDir = core.config.uploadsDir;
    const receipt = await core.uploads.receive(Readable.from([POLYGLOT]), { fileName: '../../strategies/x.mjs', maxBytes: 1024 * 1024 });
    const names = readdirSync(uploadsDir);
    expect(names).toEqual([`${receipt.uploadId}.csv`]);
    const { strategies } = unwrap(await dispatch('strategies.list')) as { strategies: Array<{ name: string }> };
    expect(strategies.map((s) => s.name)).not.toContain('pwned');
    expect((globalThis as { __pwned?: boolean }).__pwned).toBeUndefined();
    // Inline content takes the same road; during and after the import no client-named file exists.
    const report = unwrap(await dispatch('candles.import', { source: { kind: 'content', fileName: 'x.mjs', text: POLYGLOT }, ...key, skipInvalid: true })) as {
      issues: Array<{ location: string }>;
    };
    expect(report.issues.every((i) => i.location.startsWith('x.mjs:'))).toBe(true);
    expect(readdirSync(uploadsDir).some((n) => n.includes('mjs'))).toBe(false);
    unwrap(await dispatch('candles.import', { source: { kind: 'upload', uploadId: receipt.uploadId, fileName: 'x.mjs' }, ...key, skipInvalid: true }));
    expect(readdirSync(uploadsDir)).toEqual([]);
    // An upload is imported once.
    expect(await dispatch('candles.import', { source: { kind: 'upload', uploadId: receipt.uploadId, fileName: 'x.mjs' }, ...key })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('imports a regular file inside an import folder, by absolute or relative path', async () => {
    writeFileSync(join(importDir, 'SEC_BTC-1m.csv'), csv(5));
    const report = unwrap(await dispatch('candles.import', { source: { kind: 'path', path: join(importDir, 'SEC_BTC-1m.csv') }, exchangeName: 'paths' })) as {
      ok: boolean;
      inserted: number;
      symbol: string;
    };
    expect(report).toMatchObject({ ok: true, inserted: 5, symbol: 'SEC/BTC' });
    expect(unwrap(await dispatch('candles.import', { source: { kind: 'path', path: 'SEC_BTC-1m.csv' }, exchangeName: 'paths' }))).toMatchObject({ ok: true });
  });

  it('refuses outside paths, symlinks out, /dev/zero, a FIFO and a folder with one generic answer', async () => {
    const secret = join(outside, 'SECRET_BTC-1m.csv');
    writeFileSync(secret, `${csv(2)}\nS3cr3t!`);
    symlinkSync(secret, join(importDir, 'LINK_BTC-1m.csv'));
    symlinkSync(outside, join(importDir, 'linkdir'));
    execFileSync('mkfifo', [join(importDir, 'FIFO_BTC-1m.csv')]);
    mkdirSync(join(importDir, 'DIR_BTC-1m.csv'));
    const attempts = [
      secret,
      join(outside, 'MISSING_BTC-1m.csv'),
      join(importDir, '..', 'outside', 'SECRET_BTC-1m.csv'),
      join(importDir, 'LINK_BTC-1m.csv'),
      join(importDir, 'linkdir', 'SECRET_BTC-1m.csv'),
      '/dev/zero',
      '/etc/passwd',
      join(importDir, 'FIFO_BTC-1m.csv'),
      join(importDir, 'DIR_BTC-1m.csv'),
      join(importDir, 'MISSING_BTC-1m.csv'),
    ];
    const started = Date.now();
    for (const path of attempts) {
      const answer = await dispatch('candles.import', { source: { kind: 'path', path }, ...key });
      expect(answer, path).toEqual({ ok: false, error: { code: 'forbidden', message: PATH_REFUSED, issues: [{ path: 'source.path', message: 'not an importable file' }] } });
    }
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses a file over the size cap inside the folder, and an upload over the cap, keeping nothing', async () => {
    writeFileSync(join(importDir, 'BIG_BTC-1m.csv'), csv(3000));
    expect(await dispatch('candles.import', { source: { kind: 'path', path: 'BIG_BTC-1m.csv' }, exchangeName: 'paths' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_payload', message: expect.stringContaining('larger than') },
    });
    await expect(core.uploads.receive(Readable.from([csv(3000)]), { fileName: 'BIG_BTC-1m.csv', maxBytes: 10_000 })).rejects.toThrow(/BIG_BTC-1m.csv is larger than/);
    expect(readdirSync(core.config.uploadsDir)).toEqual([]);
  });

  it('a client that goes away mid-import stops it through the dispatcher, and nothing is stored', async () => {
    writeFileSync(join(importDir, 'GONE_BTC-1m.csv'), csv(1000));
    const controller = new AbortController();
    const importing = core.dispatch('candles.import', { source: { kind: 'path', path: 'GONE_BTC-1m.csv' }, exchangeName: 'gone' }, { signal: controller.signal });
    controller.abort();
    expect(await importing).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    const { series } = unwrap(await dispatch('candles.symbols')) as { series: Array<{ exchangeName: string }> };
    expect(series.filter((s) => s.exchangeName === 'gone')).toEqual([]);
  });

  it('an empty file says so with the name the user picked', async () => {
    expect(await dispatch('candles.import', { source: { kind: 'content', fileName: 'EMPTY_BTC-1m.json', text: '' }, exchangeName: 'binance' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_payload', message: 'EMPTY_BTC-1m.json: the file is empty' },
    });
  });
});

describe('upload store', () => {
  it('deletes uploads not imported within the time-to-live, and what a crash left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bm-uploads-'));
    try {
      writeFileSync(join(dir, '0b7c2f4e-1111-4222-8333-944445555666.csv'), 'left over');
      writeFileSync(join(dir, 'not-ours.txt'), 'kept');
      const store = new UploadStore({ dir, ttlMs: 60_000 });
      expect(readdirSync(dir)).toEqual(['not-ours.txt']);
      const { uploadId } = await store.receive(Readable.from(['[[1,2,3,4,5,6]]']), { fileName: 'a.mjs', maxBytes: 1000 });
      expect(readdirSync(dir).sort()).toEqual([`${uploadId}.json`, 'not-ours.txt']);
      expect(store.sweep(Date.now() + 61_000)).toBe(1);
      expect(readdirSync(dir)).toEqual(['not-ours.txt']);
      expect(() => store.take(uploadId)).toThrow(/not waiting here/);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('candle import and download honour the request signal', () => {
  let db: TestDb;
  let dir: string;
  beforeAll(async () => {
    db = await openTestDb('host_side_abort');
    dir = mkdtempSync(join(tmpdir(), 'bm-abort-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.dispose();
  });

  it('an aborted import stops, answers cancelled and stores nothing', async () => {
    const uploads = new UploadStore({ dir: join(dir, 'uploads') });
    const part = createCandlesPart({ database: () => db.manager, uploads, importDirs: [dir], maxImportBytes: 1e9, emit: () => undefined });
    writeFileSync(join(dir, 'ABORT_BTC-1m.csv'), csv(100_000));
    const controller = new AbortController();
    const importing = part.import({ source: { kind: 'path', path: 'ABORT_BTC-1m.csv' }, exchangeName: 'abort', skipInvalid: false }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(importing).rejects.toThrow(/cancelled/);
    const { series } = await part.symbols({});
    expect(series.filter((s) => s.exchangeName === 'abort')).toEqual([]);
    uploads.close();
  });
});

describe('the strategies folder from the desktop dialog', () => {
  it('is set by the core (never the contract), shown read-only, and refused when it is the uploads folder through a symlink', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bm-stratdir-'));
    const core = await createAppCore({ config: { dataDir: join(root, 'data'), envConnectionString: undefined, probeLocalhost: false, embedded: false }, echoLog: false });
    try {
      const mine = join(root, 'my-strategies');
      mkdirSync(mine);
      core.setStrategiesDir(mine);
      expect(unwrap(await core.dispatch('settings.get'))).toMatchObject({ strategiesDir: mine });
      symlinkSync(core.config.uploadsDir, join(root, 'sneaky'));
      core.setStrategiesDir(join(root, 'sneaky'));
      expect((unwrap(await core.dispatch('settings.get')) as { strategiesDir?: string }).strategiesDir).toBeUndefined();
    } finally {
      await core.shutdown();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
