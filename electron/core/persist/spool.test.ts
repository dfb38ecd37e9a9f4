import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteSpool, type SpoolEntry } from './spool';

const here = dirname(fileURLToPath(import.meta.url));

const transient = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoNetworkError' });

describe('outage spool', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'persist-spool-'));
    path = join(dir, 'spool', 'writes.jsonl');
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('survives a restart: buffered writes come back in order with the newest value per key', async () => {
    const spool = await WriteSpool.open(path);
    const sizes: number[] = [];
    spool.on('size', (n) => sizes.push(n));
    for (let i = 0; i < 5; i++) await spool.append({ subsystem: 'state', op: 'write', keyId: '["s","b"]', key: { signalId: 's', bucketName: 'b' }, value: { i } });
    await spool.append({ subsystem: 'state', op: 'remove', keyId: '["gone","b"]', key: { signalId: 'gone', bucketName: 'b' } });
    expect(sizes.at(-1)).toBe(6);
    await spool.close();

    const reopened = await WriteSpool.open(path);
    expect(reopened.size).toBe(6);
    expect(reopened.newestFor('state', '["s","b"]')?.value).toEqual({ i: 4 });
    expect(reopened.newestFor('state', '["gone","b"]')?.op).toBe('remove');
    const applied: SpoolEntry[] = [];
    await reopened.replay({ apply: async (e) => void applied.push(e), isTransient: () => false });
    // The first four writes of ["s","b"] are superseded by the fifth, so only it is applied.
    expect(applied.map((e) => e.seq)).toEqual([5, 6]);
    expect(reopened.size).toBe(0);
    expect(await fsp.readFile(path, 'utf8')).toBe('');
    // Sequence numbers keep growing after a restart, so order stays total.
    await reopened.append({ subsystem: 'state', op: 'write', keyId: 'k', key: { signalId: 'k', bucketName: 'b' }, value: 1 });
    expect(reopened.newestFor('state', 'k')?.seq).toBe(7);
    await reopened.close();
  });

  it('drops a torn last line (never acknowledged) and appends cleanly after it', async () => {
    const spool = await WriteSpool.open(path);
    await spool.append({ subsystem: 'log', op: 'write', keyId: 'a', key: { entryId: 'a' }, value: 1 });
    await spool.close();
    await fsp.appendFile(path, '{"seq":2,"subsys');
    const reopened = await WriteSpool.open(path);
    expect(reopened.size).toBe(1);
    await reopened.append({ subsystem: 'log', op: 'write', keyId: 'b', key: { entryId: 'b' }, value: 2 });
    await reopened.close();
    const lines = (await fsp.readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as SpoolEntry).keyId)).toEqual(['a', 'b']);
  });

  it('refuses to start on a corrupt line in the middle, naming the file and line', async () => {
    await fsp.mkdir(join(dir, 'spool'), { recursive: true });
    await fsp.writeFile(path, '{"seq":1,"at":1,"subsystem":"log","op":"write","keyId":"a","key":{"entryId":"a"},"value":1}\n{garbage\n{"seq":3,"at":1,"subsystem":"log","op":"write","keyId":"b","key":{"entryId":"b"},"value":2}\n');
    await expect(WriteSpool.open(path)).rejects.toThrow(`${path}:2 is not a valid entry`);
    expect((await fsp.readFile(path, 'utf8')).split('\n')).toHaveLength(4);
  });

  it('a transient failure stops the replay where it is; a permanent one sets the entry aside', async () => {
    const spool = await WriteSpool.open(path);
    for (const id of ['a', 'b', 'c', 'd']) await spool.append({ subsystem: 'log', op: 'write', keyId: id, key: { entryId: id }, value: id });
    const applied: string[] = [];
    await spool.replay({
      apply: async (e) => {
        if (e.keyId === 'c') throw transient;
        applied.push(e.keyId);
      },
      isTransient: (error) => error === transient,
    });
    expect(applied).toEqual(['a', 'b']);
    expect(spool.size).toBe(2);
    const rejected: string[] = [];
    spool.on('rejected', (e, reason) => rejected.push(`${e.keyId}: ${reason}`));
    await spool.replay({
      apply: async (e) => {
        if (e.keyId === 'c') throw new Error('document failed validation');
        applied.push(e.keyId);
      },
      isTransient: () => false,
    });
    expect(applied).toEqual(['a', 'b', 'd']);
    expect(rejected).toEqual(['c: document failed validation']);
    expect(await fsp.readFile(join(dir, 'spool', 'writes.rejected.jsonl'), 'utf8')).toContain('"keyId":"c"');
    await spool.close();
  });

  it('an app killed while buffering keeps every acknowledged write', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'test-support', 'spool-loop.ts'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acknowledged = 0;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      for (const m of c.toString().matchAll(/ACK (\d+)/g)) acknowledged = Math.max(acknowledged, Number(m[1]));
    });
    const exited = new Promise((r) => child.once('exit', r));
    const deadline = Date.now() + 20_000;
    while (acknowledged < 20 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(acknowledged, stderr).toBeGreaterThanOrEqual(20);
    child.kill('SIGKILL');
    await exited;

    const reopened = await WriteSpool.open(path);
    const applied: string[] = [];
    await reopened.replay({ apply: async (e) => void applied.push(e.keyId), isTransient: () => false });
    for (let i = 1; i <= acknowledged; i++) for (let lane = 0; lane < 8; lane++) expect(applied).toContain(`${i}-${lane}`);
    expect(new Set(applied).size).toBe(applied.length);
    await reopened.close();
  });

  it('group-commits concurrent appends and keeps their order', async () => {
    const spool = await WriteSpool.open(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append({ subsystem: 'log', op: 'write', keyId: String(i), key: { entryId: String(i) }, value: i })));
    await spool.close();
    const lines = (await fsp.readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as SpoolEntry);
    expect(lines.map((e) => e.value)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
