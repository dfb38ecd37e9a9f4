import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPersistence } from './create-persistence';
import {
  DEFAULT_MATRIX,
  effectiveMatrix,
  MatrixConfigError,
  matrixTable,
  parsePersistConfig,
  persistConfigFromEnv,
  persistConfigFromFile,
  PERSIST_CONFIG_ENV,
} from './matrix-config';

const adaptersOf = (rows: { subsystem: string; adapter: string }[]): Record<string, string> => Object.fromEntries(rows.map((r) => [r.subsystem, r.adapter]));

describe('the adapter matrix', () => {
  it('defaults to DESIGN.md: MongoDB in live mode, local files and memory in backtests', () => {
    expect(matrixTable().map(({ subsystem, live, backtest }) => [subsystem, live, backtest])).toEqual([
      ['session', 'mongodb', 'local-file'],
      ['storage', 'mongodb', 'in-memory'],
      ['recent', 'mongodb', 'in-memory'],
      ['notification', 'mongodb', 'in-memory'],
      ['memory', 'mongodb', 'local-file'],
      ['state', 'mongodb', 'local-file'],
      ['dump', 'markdown', 'markdown'],
      ['markdown', 'dummy', 'dummy'],
      ['log', 'jsonl', 'jsonl'],
    ]);
    expect(effectiveMatrix('backtest').every((row) => row.source === 'default' && row.adapter !== 'mongodb')).toBe(true);
    expect(effectiveMatrix('live').find((r) => r.subsystem === 'storage')!.holds).toMatch(/signal rows/);
  });

  it('applies configuration overrides, then run overrides, and says where each cell came from', () => {
    const config = parsePersistConfig({ matrix: { backtest: { storage: 'mongodb', notification: 'mongodb' } } });
    const run = effectiveMatrix({ mode: 'backtest', overrides: { notification: 'in-memory', markdown: 'markdown' } }, config);
    expect(adaptersOf(run)).toMatchObject({ storage: 'mongodb', notification: 'in-memory', markdown: 'markdown', session: 'local-file' });
    expect(run.find((r) => r.subsystem === 'storage')!.source).toBe('config');
    expect(run.find((r) => r.subsystem === 'notification')!.source).toBe('run');
    expect(run.find((r) => r.subsystem === 'session')!.source).toBe('default');
    expect(adaptersOf(effectiveMatrix('live', config))).toEqual(DEFAULT_MATRIX.live);
  });

  it('rejects unknown subsystems and adapters, and adapters a subsystem cannot use, listing every problem', () => {
    const error = (() => {
      try {
        parsePersistConfig({ matrix: { live: { sesion: 'mongodb', storage: 'postgres', dump: 'local-file' }, paper: {} }, storageCap: { live: 0 }, colour: 'blue' }, 'persist.json');
      } catch (e) {
        return e as MatrixConfigError;
      }
      throw new Error('expected a MatrixConfigError');
    })();
    expect(error).toBeInstanceOf(MatrixConfigError);
    expect(error.message).toContain('Invalid persistence configuration (persist.json)');
    expect(error.problems).toEqual([
      'colour: unknown setting (known: matrix, storageCap, log)',
      'matrix.live.sesion: unknown subsystem "sesion" (known: session, storage, recent, notification, memory, state, dump, markdown, log)',
      'matrix.live.storage: unknown adapter "postgres" (known: mongodb, local-file, in-memory, markdown, dummy, jsonl)',
      'matrix.live.dump: the dump subsystem cannot use the local-file adapter (it can use: markdown, in-memory, mongodb, dummy)',
      'matrix.paper: unknown mode (known: live, backtest)',
      'storageCap.live must be a whole number >= 1, got 0',
    ]);
    expect(() => effectiveMatrix({ mode: 'live', overrides: { log: 'markdown' } })).toThrow(/run.overrides.log: the log subsystem cannot use the markdown adapter/);
  });

  it('refuses a MongoDB cell without a connection when the persistence starts', async () => {
    const dataDir = await fsp.mkdtemp(join(tmpdir(), 'persist-matrix-'));
    try {
      await expect(createPersistence({ mode: 'live', dataDir })).rejects.toThrow(
        'session, storage, recent, notification, memory, state use the mongodb adapter, but no MongoDB connection was given',
      );
      await expect(createPersistence({ mode: 'backtest', dataDir, overrides: { storage: 'mongodb' } })).rejects.toThrow(
        /backtest mode.*storage uses the mongodb adapter, but no MongoDB connection was given/s,
      );
      await expect(createPersistence({ mode: 'backtest', dataDir, overrides: { sesion: 'in-memory' } as never })).rejects.toThrow(/unknown subsystem "sesion"/);
    } finally {
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  });

  it('loads a JSON file named by the environment, and names the file when it is broken', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'persist-config-'));
    try {
      const good = join(dir, 'good.json');
      await fsp.writeFile(good, JSON.stringify({ matrix: { backtest: { session: 'in-memory' } }, log: { maxBytes: 2048, maxFiles: 1 } }));
      const config = persistConfigFromEnv({ [PERSIST_CONFIG_ENV]: good });
      expect(config.matrix.backtest).toEqual({ session: 'in-memory' });
      expect(config.log).toEqual({ maxBytes: 2048, maxFiles: 1 });
      expect(config.storageCap).toEqual({ live: 1_000, backtest: 10_000 });
      const broken = join(dir, 'broken.json');
      await fsp.writeFile(broken, '{ "matrix": { "live": ');
      expect(() => persistConfigFromFile(broken)).toThrow(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*not valid JSON`));
      expect(() => persistConfigFromFile(join(dir, 'missing.json'))).toThrow(/cannot read the file/);
      expect(persistConfigFromEnv({})).toEqual(parsePersistConfig(undefined));
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
