import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileAdapter } from './adapters/file-adapter';
import type { FileOps } from './atomic-file';
import { CorruptEntryError, LocalWriteError } from './contract';
import { DUMP, SESSION, STATE, type DumpKey, type JsonValue, type SessionKey, type StateKey } from './subsystems';

const here = dirname(fileURLToPath(import.meta.url));

/** A file system whose disk fills up after `bytes` bytes of file data have been written. */
function diskFullAfter(bytes: number): FileOps {
  let left = bytes;
  return {
    rename: fsp.rename,
    rm: fsp.rm,
    open: (async (path: string, flags: string) => {
      const handle = await fsp.open(path, flags);
      const writeFile = handle.writeFile.bind(handle);
      handle.writeFile = (async (data: string) => {
        const text = String(data);
        if (Buffer.byteLength(text) <= left) {
          left -= Buffer.byteLength(text);
          return writeFile(text);
        }
        await writeFile(text.slice(0, Math.max(0, left)));
        left = 0;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }) as typeof handle.writeFile;
      return handle;
    }) as FileOps['open'],
  };
}

describe('local-file adapter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'persist-file-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('writes one JSON file per key and never a file outside its directory, whatever the key', async () => {
    const store = await FileAdapter.open<SessionKey, JsonValue>(SESSION, { dir: join(dir, 'session'), format: 'json' });
    const hostile = ['../x', '../../etc/passwd', '/abs', 'a\\..\\b', '.', '..', 'nul\u0000byte'];
    for (const symbol of hostile) await store.write({ strategyName: 's', exchangeName: 'e', frameName: 'f', symbol, backtest: false }, { symbol });
    expect(await fsp.readdir(dir)).toEqual(['session']);
    const names = await fsp.readdir(join(dir, 'session'));
    expect(names).toHaveLength(hostile.length);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9_%~-]+(\.[0-9a-f]{8})?\.json$/);
      expect(name.startsWith('.')).toBe(false);
    }
    expect((await store.keys()).map((k) => k.symbol).sort()).toEqual([...hostile].sort());
  });

  it('a full disk fails the write with a clear error and leaves the previous value intact', async () => {
    const good = await FileAdapter.open<StateKey, JsonValue>(STATE, { dir, format: 'json' });
    const key = { signalId: 'disk', bucketName: 'b' };
    await good.write(key, { version: 1 });
    const full = await FileAdapter.open<StateKey, JsonValue>(STATE, { dir, format: 'json', fileOps: diskFullAfter(10) });
    const error = await full.write(key, { version: 2, payload: 'y'.repeat(10_000) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalWriteError);
    expect((error as Error).message).toMatch(/cannot write .*disk-?.*\.json: the disk is full \(ENOSPC\); the previous value is kept/);
    expect(await good.read(key)).toEqual({ version: 1 });
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('names the file when a stored entry no longer parses', async () => {
    const store = await FileAdapter.open<StateKey, JsonValue>(STATE, { dir, format: 'json' });
    await store.write({ signalId: 'c', bucketName: 'b' }, 1);
    const [name] = await fsp.readdir(dir);
    await fsp.writeFile(join(dir, name!), '{"key": {"signalId": "c"');
    await expect(store.read({ signalId: 'c', bucketName: 'b' })).rejects.toThrow(CorruptEntryError);
    await expect(store.read({ signalId: 'c', bucketName: 'b' })).rejects.toThrow(name!);
  });

  it('the Markdown adapter writes one readable .md file per dump', async () => {
    const dumps = await FileAdapter.open<DumpKey, string>(DUMP, { dir, format: 'markdown' });
    await dumps.write({ dumpId: 'run-1/summary' }, '# Run 1\n\n| trades | 3 |\n');
    await dumps.write({ dumpId: 'run-2' }, '# Run 2\n');
    await dumps.write({ dumpId: 'CON' }, 'a name Windows reserves');
    await dumps.write({ dumpId: 'Run-2' }, '# Another run, only the case differs\n');
    expect((await fsp.readdir(dir)).sort()).toEqual([expect.stringMatching(/^%43ON\.[0-9a-f]{8}\.md$/), expect.stringMatching(/^Run-2\.[0-9a-f]{8}\.md$/), 'run-1%2fsummary.md', 'run-2.md']);
    expect(await dumps.read({ dumpId: 'Run-2' })).toBe('# Another run, only the case differs\n');
    expect(await dumps.read({ dumpId: 'CON' })).toBe('a name Windows reserves');
    expect(await fsp.readFile(join(dir, 'run-2.md'), 'utf8')).toBe('# Run 2\n');
    expect(await dumps.read({ dumpId: 'run-1/summary' })).toBe('# Run 1\n\n| trades | 3 |\n');
    expect(await dumps.keys()).toEqual(expect.arrayContaining([{ dumpId: 'run-1/summary' }, { dumpId: 'run-2' }, { dumpId: 'CON' }, { dumpId: 'Run-2' }]));
  });

  it('a process killed in a tight write loop leaves every file parseable with a complete value', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'test-support', 'write-loop.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('READY') && resolve());
      child.once('exit', (code) => reject(new Error(`write loop exited early (${code}): ${stderr}`)));
    });
    // Let it write for a while, then kill it without warning at an arbitrary moment.
    await new Promise((r) => setTimeout(r, 700 + Math.random() * 300));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const reopened = await FileAdapter.open<StateKey, JsonValue>(STATE, { dir, format: 'json' });
    const names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.json'));
    expect(names).toHaveLength(4);
    for (const name of names) {
      const envelope = JSON.parse(await fsp.readFile(join(dir, name), 'utf8')) as { value: { round: number; key: number; payload: string; check: number } };
      const v = envelope.value;
      expect(v.payload).toBe('x'.repeat(1000 + (v.round % 50) * 500));
      expect(v.check).toBe(v.round * 7 + v.key);
    }
    expect(await reopened.keys()).toHaveLength(4);
    // Leftover temp files of the killed writer are cleared on open.
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('on open, clears temp files of dead writers but not those of live ones', async () => {
    const dead = `x.json.${2 ** 22 + 12345}.0.tmp`;
    const alive = `y.json.${process.ppid}.0.tmp`;
    const ours = `z.json.${process.pid}.0.tmp`;
    for (const name of [dead, alive, ours]) await fsp.writeFile(join(dir, name), 'partial');
    await FileAdapter.open<StateKey, JsonValue>(STATE, { dir, format: 'json' });
    expect((await fsp.readdir(dir)).sort()).toEqual([alive, ours].sort());
  });
});
