import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/test-db';
import type { CandleKey } from '../../../shared/candles';
import { importCandleFile } from './candle-importer';
import { CandleStore } from './candle-store';
import { coverage } from './candle-coverage';
import { SHARED_CANDLE_FILES, sharedCandlePath } from './test-data';

let db: TestDb;
let store: CandleStore;
let dir: string;

beforeAll(async () => {
  db = await openTestDb('market_import');
  store = new CandleStore(db.manager.connection);
  await store.ensureIndexes();
  dir = mkdtempSync(join(tmpdir(), 'candle-import-'));
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db.dispose();
});

const keyFor = (symbol: string, interval: CandleKey['interval'] = '1m', exchangeName = 'binance'): CandleKey => ({ exchangeName, symbol, interval });

describe('importing the shared real candle files', () => {
  for (const data of SHARED_CANDLE_FILES) {
    it(`${data.file}: ${data.candles} candles, ${data.gapRanges} gap ranges, ${data.missing} missing`, async () => {
      const key = keyFor(data.symbol, data.interval, `shared-${data.file}`);
      const report = await importCandleFile(store, { file: sharedCandlePath(data.file), key });
      expect(report.issues).toEqual([]);
      expect(report).toMatchObject({ ok: true, rows: data.candles, stored: data.candles, inserted: data.candles, skipped: 0 });
      expect(await store.countRange(key)).toBe(data.candles);
      const cov = await coverage(store, key);
      expect(cov.count).toBe(data.candles);
      expect(cov.gaps.length).toBe(data.gapRanges);
      expect(cov.missingCandles).toBe(data.missing);
      expect(cov.stored.length).toBe(data.gapRanges + 1);
    });
  }

  it('the Binance CSV and the JSON of the same candles produce identical documents', async () => {
    const fromCsv = keyFor('ETH/BTC', '1m', 'same-csv');
    const fromJson = keyFor('ETH/BTC', '1m', 'same-json');
    await importCandleFile(store, { file: sharedCandlePath('ETHBTC-1m-2018-01.binance.csv'), key: fromCsv });
    await importCandleFile(store, { file: sharedCandlePath('ETH_BTC-1m.json'), key: fromJson });
    const a = await store.range(fromCsv);
    const b = await store.range(fromJson);
    expect(a.length).toBe(14397);
    expect(a).toEqual(b);
  });

  it('re-importing the same file adds no documents', async () => {
    const key = keyFor('ADA/BTC', '1m', 'reimport');
    const file = sharedCandlePath('ADA_BTC-1m.json');
    const first = await importCandleFile(store, { file, key });
    const again = await importCandleFile(store, { file, key });
    expect(first.inserted).toBe(14383);
    expect(again).toMatchObject({ ok: true, inserted: 0, existing: 14383 });
    expect(await store.countRange(key)).toBe(14383);
  });

  it('a file overlapping stored candles inserts the new ones and updates the stored ones in place', async () => {
    const key = keyFor('OVER/BTC', '1m', 'overlap');
    const rows = (from: number, to: number, close: number): string =>
      Array.from({ length: to - from }, (_, i) => binanceRow(HOUR0 + (from + i) * M, 1, 2, 0.5, close)).join('\n');
    await importCandleFile(store, { file: write('first.csv', rows(0, 6000, 1.5)), key });
    const report = await importCandleFile(store, { file: write('second.csv', rows(3000, 12000, 1.6)), key });
    expect(report).toMatchObject({ ok: true, rows: 9000, inserted: 6000, existing: 3000 });
    expect(await store.countRange(key)).toBe(12000);
    const closes = (await store.range(key)).map((c) => c.close);
    expect(closes.slice(0, 3000).every((c) => c === 1.5)).toBe(true);
    expect(closes.slice(3000).every((c) => c === 1.6)).toBe(true);
  });

  it('an aborted import stops with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const key = keyFor('ADA/BTC', '1m', 'aborted');
    await expect(importCandleFile(store, { file: sharedCandlePath('ADA_BTC-1m.json'), key, signal: controller.signal })).rejects.toThrow('user cancelled');
    expect(await store.countRange(key)).toBe(0);
  });

  it('reports progress while validating and storing', async () => {
    const phases = new Set<string>();
    let last = 0;
    const report = await importCandleFile(store, {
      file: sharedCandlePath('LTC_BTC-5m.json'),
      key: keyFor('LTC/BTC', '5m', 'progress'),
      onProgress: (p) => {
        phases.add(p.phase);
        last = p.bytesRead / p.totalBytes;
      },
    });
    expect(report.ok).toBe(true);
    expect([...phases].sort()).toEqual(['storing', 'validating']);
    expect(last).toBe(1);
  });
});

const HOUR0 = Date.UTC(2024, 0, 1);
const M = 60_000;
function binanceRow(ts: number, o = 1, h = 2, l = 0.5, c = 1.5, v = 10): string {
  return [ts, o, h, l, c, v, ts + M - 1, 10, 5, 1, 1, 0].join(',');
}
function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('malformed input: specific errors, nothing stored in strict mode', () => {
  const good = [0, 1, 2].map((i) => binanceRow(HOUR0 + i * M));
  const cases: Array<{ name: string; content: string; rule: string; line: number; message: RegExp }> = [
    { name: 'columns', content: [good[0], '1704067260000,1,2,0.5,1.5', good[2]].join('\n'), rule: 'columns', line: 2, message: /expected 12 columns.*got 5/ },
    { name: 'non-numeric', content: [good[0], binanceRow(HOUR0 + M, 1, Number.NaN).replace('NaN', 'abc'), good[2]].join('\n'), rule: 'number', line: 2, message: /^high is not a number$/ },
    { name: 'non-finite', content: [good[0], binanceRow(HOUR0 + M).replace(',2,', ',1e999,'), good[2]].join('\n'), rule: 'finite', line: 2, message: /^high is not a finite number$/ },
    { name: 'high-below-low', content: [good[0], binanceRow(HOUR0 + M, 1, 0.4, 0.5, 1), good[2]].join('\n'), rule: 'high_low', line: 2, message: /^high is below low$/ },
    { name: 'low-above-open', content: [good[0], binanceRow(HOUR0 + M, 1, 2, 1.2, 1.5), good[2]].join('\n'), rule: 'low_open_close', line: 2, message: /^low is above open or close$/ },
    { name: 'negative-volume', content: [good[0], binanceRow(HOUR0 + M, 1, 2, 0.5, 1.5, -1), good[2]].join('\n'), rule: 'volume', line: 2, message: /^volume is negative$/ },
    { name: 'unaligned', content: [good[0], binanceRow(HOUR0 + M + 1000), good[2]].join('\n'), rule: 'aligned', line: 2, message: /not aligned to the 1m interval/ },
    { name: 'unsorted', content: [good[1], good[0], good[2]].join('\n'), rule: 'unsorted', line: 2, message: /before the previous row/ },
    { name: 'duplicate', content: [good[0], good[1], good[1], good[2]].join('\n'), rule: 'duplicate', line: 3, message: /duplicate/ },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.rule} at file:${c.line}`, async () => {
      const file = write(`${c.name}.csv`, c.content);
      const key = keyFor('BAD/BTC', '1m', `bad-${c.name}`);
      const report = await importCandleFile(store, { file, key, format: 'binance-csv' });
      expect(report.ok).toBe(false);
      expect(report.stored).toBe(0);
      // high < low always breaks a second rule too (high below max(open, close) or low above min).
      expect(report.issues.every((i) => i.location === `${c.name}.csv:${c.line}`)).toBe(true);
      expect(report.issues[0]).toMatchObject({ rule: c.rule, location: `${c.name}.csv:${c.line}` });
      expect(report.issues[0]!.message).toMatch(c.message);
      // The field is named, the cell's value never echoed.
      for (const issue of report.issues) expect(issue.message).not.toMatch(/abc|0\.4|1\.2|-1|1e999|1704/);
      expect(await store.countRange(key)).toBe(0);
    });
  }

  it('an empty file (or a header alone) is an error', async () => {
    for (const [name, content] of [['empty.csv', ''], ['header-only.csv', 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n'], ['empty.json', '[]']] as const) {
      const report = await importCandleFile(store, { file: write(name, content), key: keyFor('E/BTC', '1m', 'empty') });
      expect(report.ok, name).toBe(false);
      expect(report.issues[0], name).toMatchObject({ rule: 'empty', message: content === '' ? 'the file is empty' : 'the file holds no candles' });
    }
  });

  it('strict mode stores nothing even when only the last row is bad, and lists the first 50 issues with the count', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => binanceRow(HOUR0 + i * M));
    for (let i = 100; i < 180; i++) rows[i] = binanceRow(HOUR0 + i * M, 1, 0.1, 0.5, 1);
    const key = keyFor('MANY/BTC', '1m', 'many-bad');
    const report = await importCandleFile(store, { file: write('many.csv', rows.join('\n')), key });
    expect(report).toMatchObject({ ok: false, stored: 0, issueCount: 80 * 2 });
    expect(report.issues).toHaveLength(50);
    expect(report.issues[0]!.location).toBe('many.csv:101');
    expect(await store.countRange(key)).toBe(0);
  });

  it('--skip-invalid stores the valid rows and reports the skipped ones', async () => {
    const rows = [binanceRow(HOUR0), binanceRow(HOUR0 + M, 1, 0.1, 0.5, 1), binanceRow(HOUR0 + 2 * M), 'x,y', binanceRow(HOUR0 + M)];
    const key = keyFor('SKIP/BTC', '1m', 'skip');
    const report = await importCandleFile(store, { file: write('skip.csv', rows.join('\n')), key, skipInvalid: true });
    expect(report).toMatchObject({ ok: true, rows: 5, stored: 2, skipped: 3 });
    expect(report.issues.map((i) => `${i.location} ${i.rule}`)).toEqual(['skip.csv:2 high_low', 'skip.csv:2 high_open_close', 'skip.csv:4 columns', 'skip.csv:5 unsorted']);
    expect((await store.range(key)).map((c) => c.timestamp)).toEqual([HOUR0, HOUR0 + 2 * M]);
  });

  it('invalid JSON is refused with its position and stores nothing', async () => {
    const key = keyFor('J/BTC', '1m', 'bad-json');
    const report = await importCandleFile(store, { file: write('truncated.json', `[[${HOUR0},1,2,0.5,1.5,10],[${HOUR0 + M},1,2`), key });
    expect(report.ok).toBe(false);
    expect(report.issues[0]).toMatchObject({ rule: 'syntax', location: 'truncated.json:candle 2' });
    const wrongShape = await importCandleFile(store, { file: write('shape.json', `[[${HOUR0},1,2,0.5,1.5,10],[${HOUR0 + M},1,2,0.5,1.5],{"t":1}]`), key });
    expect(wrongShape.issues.map((i) => `${i.location} ${i.rule}`)).toEqual(['shape.json:candle 2 columns', 'shape.json:candle 3 columns']);
    const nonNumeric = await importCandleFile(store, { file: write('nan.json', `[[${HOUR0},1,"2",0.5,1.5,10],[${HOUR0 + M},1,2,0.5,1.5,null]]`), key });
    expect(nonNumeric.issues.map((i) => i.message)).toEqual(['high is not a number', 'volume is not a number']);
    expect(await store.countRange(key)).toBe(0);
  });
});

describe('file layouts', () => {
  it('accepts a BOM, CRLF line ends, a header row and microsecond timestamps in Binance CSV', async () => {
    const header = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';
    const rows = [0, 1, 2].map((i) => binanceRow((HOUR0 + i * M) * 1000));
    const key = keyFor('US/BTC', '1m', 'micro');
    const report = await importCandleFile(store, { file: write('micro.csv', `\uFEFF${[header, ...rows].join('\r\n')}\r\n`), key });
    expect(report.issues).toEqual([]);
    expect(report).toMatchObject({ ok: true, format: 'binance-csv', rows: 3, microsecondTimestamps: true });
    expect((await store.range(key)).map((c) => c.timestamp)).toEqual([HOUR0, HOUR0 + M, HOUR0 + 2 * M]);
  });

  it('reads generic CSV with ms or ISO 8601 timestamps and columns in any order', async () => {
    const content = ['Volume,Timestamp,Open,High,Low,Close', `10,${HOUR0},1,2,0.5,1.5`, `11,2024-01-01T00:01:00Z,1.5,2,1,1.2`, `12,2024-01-01 00:02:00,1.2,1.3,1,1.1`].join('\n');
    const key = keyFor('GEN/BTC', '1m', 'generic');
    const report = await importCandleFile(store, { file: write('generic.csv', content), key });
    expect(report).toMatchObject({ ok: true, format: 'csv', rows: 3 });
    expect(await store.range(key)).toEqual([
      { timestamp: HOUR0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
      { timestamp: HOUR0 + M, open: 1.5, high: 2, low: 1, close: 1.2, volume: 11 },
      { timestamp: HOUR0 + 2 * M, open: 1.2, high: 1.3, low: 1, close: 1.1, volume: 12 },
    ]);
    const noTs = await importCandleFile(store, { file: write('nots.csv', 'open,high,low,close,volume\n1,2,0.5,1.5,1'), key, format: 'csv' });
    expect(noTs.issues[0]).toMatchObject({ rule: 'header', location: 'nots.csv:1' });
    const badDate = await importCandleFile(store, { file: write('baddate.csv', 'timestamp,open,high,low,close,volume\nyesterday,1,2,0.5,1.5,1'), key });
    expect(badDate.issues[0]).toMatchObject({ rule: 'number', location: 'baddate.csv:2', message: 'timestamp is not a number' });
  });
});

describe('bounded work: record limits, only regular files, abort', () => {
  it('refuses a CSV line or a JSON candle longer than 64 KiB with its line, without quoting it', async () => {
    const key = keyFor('LONG/BTC', '1m', 'long');
    const secret = 'S3cr3t!'.repeat(20_000);
    const csv = await importCandleFile(store, { file: write('long.csv', [binanceRow(HOUR0), `${secret},1`, binanceRow(HOUR0 + M)].join('\n')), key });
    expect(csv).toMatchObject({ ok: false, stored: 0 });
    expect(csv.issues[0]).toMatchObject({ rule: 'syntax', location: 'long.csv:2', message: 'a line is longer than 64 KiB' });
    const json = await importCandleFile(store, { file: write('long.json', `[[${HOUR0},1,2,0.5,1.5,10],["${secret}"]]`), key });
    expect(json.issues[0]).toMatchObject({ rule: 'syntax', location: 'long.json:candle 2', message: 'candle 2 is longer than 64 KiB' });
    const nested = await importCandleFile(store, { file: write('nested.json', `[${'['.repeat(200_000)}`), key });
    expect(nested.issues[0]).toMatchObject({ rule: 'syntax', message: 'candle 1 is longer than 64 KiB' });
    expect(JSON.stringify([csv, json, nested])).not.toContain('S3cr3t');
    expect(await store.countRange(key)).toBe(0);
  });

  it('an invalid JSON error says where, not what (the parser would quote the text)', async () => {
    const report = await importCandleFile(store, { file: write('leak.json', '{"password": "hunter2"}'), key: keyFor('L/BTC') });
    expect(JSON.stringify(report.issues)).not.toContain('hunter2');
    const header = await importCandleFile(store, { file: write('leak.csv', 'time,user,password\nroot,hunter2,x'), key: keyFor('L/BTC'), format: 'csv' });
    expect(header.issues[0]).toMatchObject({ rule: 'header' });
    expect(JSON.stringify(header.issues)).not.toContain('hunter2');
    expect(JSON.stringify(header.issues)).not.toContain('password');
  });

  it('refuses a FIFO, a device and a folder before reading', async () => {
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    for (const file of [fifo, '/dev/zero', dir]) {
      await expect(importCandleFile(store, { file, key: keyFor('F/BTC') }), file).rejects.toThrow(/not a regular file/);
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('issue locations start with the name the user knows, not the temp file', async () => {
    const file = write('0b7c2f4e-temp.csv', [binanceRow(HOUR0), 'x,y'].join('\n'));
    const report = await importCandleFile(store, { file, displayName: 'MY_FILE-1m.csv', key: keyFor('D/BTC', '1m', 'display') });
    expect(report.issues[0]!.location).toBe('MY_FILE-1m.csv:2');
  });

  it('an import aborted by its signal stops and stores nothing', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => binanceRow(HOUR0 + i * M));
    const file = write('big.csv', rows.join('\n'));
    const key = keyFor('ABORT/BTC', '1m', 'abort');
    const controller = new AbortController();
    let progressSeen = 0;
    const started = Date.now();
    const importing = importCandleFile(store, {
      file,
      key,
      signal: controller.signal,
      onProgress: () => {
        if (++progressSeen === 1) controller.abort();
      },
    });
    await expect(importing).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await store.countRange(key)).toBe(0);
    // Aborted before it starts: not even opened.
    await expect(importCandleFile(store, { file: '/dev/zero', key, signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });
});
