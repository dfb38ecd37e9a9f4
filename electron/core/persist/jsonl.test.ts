import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../../shared/domain/logs';
import { JsonlAdapter } from './adapters/jsonl-adapter';
import { UnsupportedOperationError } from './contract';
import { LOG, type LogKey } from './subsystems';

function line(n: number): LogLine {
  return { entryId: `e${String(n).padStart(5, '0')}`, level: 'info', at: 1_700_000_000_000 + n, message: `line ${n} ${'.'.repeat(40)}` };
}

describe('JSONL log adapter', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(join(tmpdir(), 'persist-jsonl-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('appends one JSON object per line, in order', async () => {
    const file = join(dir, 'log.jsonl');
    const log = await JsonlAdapter.open<LogKey, LogLine>(LOG, { file });
    await Promise.all(Array.from({ length: 50 }, (_, n) => log.write({ entryId: line(n).entryId }, line(n))));
    await log.close();
    const lines = (await fsp.readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines.map((l) => (JSON.parse(l) as LogLine).entryId)).toEqual(Array.from({ length: 50 }, (_, n) => line(n).entryId));
  });

  it('rotates by size, keeps maxFiles old files, and tails the last N lines across them', async () => {
    const file = join(dir, 'log.jsonl');
    const log = await JsonlAdapter.open<LogKey, LogLine>(LOG, { file, maxBytes: 1_000, maxFiles: 2 });
    for (let n = 0; n < 60; n++) await log.write({ entryId: line(n).entryId }, line(n));
    expect((await fsp.readdir(dir)).sort()).toEqual(['log.1.jsonl', 'log.2.jsonl', 'log.jsonl']);
    for (const name of await fsp.readdir(dir)) expect((await fsp.stat(join(dir, name))).size).toBeLessThanOrEqual(1_000);
    const tail = await log.tail(15);
    expect(tail.map((l) => l.entryId)).toEqual(Array.from({ length: 15 }, (_, i) => line(45 + i).entryId));
    expect((await log.tail(1))[0]!.entryId).toBe(line(59).entryId);
    // The oldest lines rotated out for good; the newest are all readable.
    expect(await log.read({ entryId: line(0).entryId })).toBeNull();
    expect(await log.read({ entryId: line(58).entryId })).toEqual(line(58));
    await log.close();
  });

  it('continues an existing file after a restart and skips a torn last line', async () => {
    const file = join(dir, 'log.jsonl');
    const first = await JsonlAdapter.open<LogKey, LogLine>(LOG, { file });
    for (let n = 0; n < 3; n++) await first.write({ entryId: line(n).entryId }, line(n));
    await first.close();
    await fsp.appendFile(file, '{"entryId":"torn","lev');
    await fsp.appendFile(file, '\n');
    const second = await JsonlAdapter.open<LogKey, LogLine>(LOG, { file });
    await second.write({ entryId: line(3).entryId }, line(3));
    expect((await second.tail(10)).map((l) => l.entryId)).toEqual([0, 1, 2, 3].map((n) => line(n).entryId));
    expect((await second.list({ limit: 10 })).total).toBe(4);
    await second.close();
  });

  it('refuses remove: a log is append-only', async () => {
    const log = await JsonlAdapter.open<LogKey, LogLine>(LOG, { file: join(dir, 'log.jsonl') });
    await expect(log.remove({ entryId: 'x' })).rejects.toThrow(UnsupportedOperationError);
    await expect(log.tail(0)).rejects.toThrow(/count must be/);
    await log.close();
  });
});
