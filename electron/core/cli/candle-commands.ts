import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { CandleKey } from '../../../shared/candles';
import { coverage } from '../market/candle-coverage';
import { importCandleFile } from '../market/candle-importer';
import type { CandleStore } from '../market/candle-store';
import { isCandleFileFormat } from '../market/candle-file-formats';
import { seriesFromFileName } from '../market/series-from-file-name';
import { formatCount, formatTime, parseIntervalOption, parseTimeOption, requireOption, UsageError } from './cli-args';

export interface CommandOptions {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  /** Human-readable progress; silent with --json. */
  status: (line: string) => void;
  stdout: Writable;
}

/**
 * A command is checked in two steps: its options are read (a mistake throws UsageError before
 * any connection is attempted), then it runs against the database.
 */
export type PreparedCommand = (store: CandleStore) => Promise<CommandResult>;

export interface CommandResult {
  ok: boolean;
  /** Printed with --json. */
  json: unknown;
  /** Printed otherwise. */
  text: string[];
}

const str = (o: CommandOptions, name: string): string | undefined => {
  const v = o.values[name];
  return typeof v === 'string' ? v : undefined;
};

function seriesKey(o: CommandOptions, hint: { symbol?: string; interval?: string } = {}): CandleKey {
  const symbol = str(o, 'symbol') ?? hint.symbol;
  const interval = str(o, 'interval') ?? hint.interval;
  return { exchangeName: str(o, 'exchange') ?? 'binance', symbol: requireOption(symbol, 'symbol'), interval: parseIntervalOption(interval) };
}

const describeKey = (k: CandleKey): string => `${k.exchangeName} ${k.symbol} ${k.interval}`;

export function importCommand(o: CommandOptions): PreparedCommand {
  const file = o.positionals[0];
  if (!file) throw new UsageError('import needs a file: candles import <file> --symbol ADA/BTC --interval 1m');
  const format = str(o, 'format');
  if (format !== undefined && !isCandleFileFormat(format)) throw new UsageError(`--format "${format}" is not one of binance-csv, ohlcv-json, csv`);
  const key = seriesKey(o, seriesFromFileName(file));
  return async (store) => {
    let lastShown = 0;
    const report = await importCandleFile(store, {
      file,
      key,
      format,
      skipInvalid: o.values['skip-invalid'] === true,
      onProgress: (p) => {
        if (Date.now() - lastShown < 1000) return;
        lastShown = Date.now();
        o.status(`${p.phase} ${Math.round((100 * p.bytesRead) / Math.max(1, p.totalBytes))}% (${formatCount(p.rows)} rows)`);
      },
    });
    const text = [
      `${report.ok ? 'Imported' : 'Refused'} ${file} (${report.format}) into ${describeKey(key)}`,
      `  rows ${formatCount(report.rows)}, stored ${formatCount(report.stored)} (new ${formatCount(report.inserted)}, already stored ${formatCount(report.existing)}), skipped ${formatCount(report.skipped)}`,
    ];
    if (report.first !== undefined) text.push(`  range ${formatTime(report.first)} .. ${formatTime(report.last)}${report.microsecondTimestamps ? ' (microsecond timestamps converted)' : ''}`);
    if (report.issueCount > 0) {
      text.push(`  ${formatCount(report.issueCount)} issue(s)${report.issueCount > report.issues.length ? `, the first ${report.issues.length}` : ''}:`);
      for (const issue of report.issues) text.push(`    ${issue.location}: ${issue.message} [${issue.rule}]`);
      if (!report.ok && report.stored === 0 && report.rows > 0) text.push('  Nothing was stored. Fix the file, or pass --skip-invalid to store the valid rows.');
    }
    return { ok: report.ok, json: report, text };
  };
}

async function exchangeFor(o: CommandOptions, key: CandleKey) {
  const { createExchangeClient } = await import('../market/exchange-client');
  return createExchangeClient(str(o, 'ccxt-id') ?? key.exchangeName, { apiUrl: str(o, 'api-url') });
}

export function downloadCommand(o: CommandOptions): PreparedCommand {
  const key = seriesKey(o);
  const from = parseTimeOption(str(o, 'from'), 'from');
  if (from === undefined) throw new UsageError('--from is required (ms or ISO 8601, e.g. 2018-01-20)');
  const to = parseTimeOption(str(o, 'to'), 'to');
  return async (store) => {
    const { downloadCandles } = await import('../market/candle-download');
    const report = await downloadCandles({
      exchange: await exchangeFor(o, key),
      store,
      ...key,
      from,
      to,
      resume: o.values['no-resume'] !== true,
      onProgress: (p) =>
        o.status(p.retry ? `retry ${p.retry.attempt} in ${p.retry.waitMs} ms: ${p.retry.reason}` : `${Math.round(p.fraction * 100)}% ${formatTime(p.cursor)} (${formatCount(p.fetched)} candles)`),
    });
    const text = [
      `Downloaded ${describeKey(key)} ${formatTime(report.from)} .. ${formatTime(report.to)}${report.resumed ? ` (resumed at ${formatTime(report.startedAt)})` : ''}`,
      `  pages ${report.pages}, candles ${formatCount(report.fetched)}, new ${formatCount(report.inserted)}, retries ${report.retries}, rejected ${report.rejected}, ${(report.durationMs / 1000).toFixed(1)} s`,
    ];
    return { ok: true, json: report, text };
  };
}

export function gapsCommand(o: CommandOptions): PreparedCommand {
  const key = seriesKey(o);
  const from = parseTimeOption(str(o, 'from'), 'from');
  const to = parseTimeOption(str(o, 'to'), 'to');
  return async (store) => {
    if (o.values.backfill === true) {
      const { backfillGaps } = await import('../market/candle-download');
      const report = await backfillGaps({ exchange: await exchangeFor(o, key), store, ...key, from, to });
      const text = [
        `Backfilled ${describeKey(key)}: ${report.gaps.length} gap(s), ${formatCount(report.inserted)} candle(s) added, ${formatCount(report.stillMissing)} still missing (not on the exchange either)`,
      ];
      return { ok: true, json: report, text };
    }
    const cov = await coverage(store, { ...key, from, to });
    const text = [
      `${describeKey(key)}: ${formatCount(cov.count)} candles ${formatTime(cov.from)} .. ${formatTime(cov.to)}, ${cov.gaps.length} gap(s), ${formatCount(cov.missingCandles)} missing`,
    ];
    for (const g of cov.gaps.slice(0, 100)) text.push(`  missing ${formatTime(g.from)} .. ${formatTime(g.to)} (${formatCount(g.missing)})`);
    if (cov.gaps.length > 100) text.push(`  … and ${cov.gaps.length - 100} more (use --json for all)`);
    return { ok: true, json: cov, text };
  };
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

export function exportCommand(o: CommandOptions): PreparedCommand {
  const key = seriesKey(o);
  const format = str(o, 'format') ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw new UsageError(`--format "${format}" is not one of csv, json`);
  const from = parseTimeOption(str(o, 'from'), 'from');
  const to = parseTimeOption(str(o, 'to'), 'to');
  const outFile = str(o, 'out');
  return async (store) => {
    const out = outFile ? createWriteStream(outFile) : o.stdout;
    let rows = 0;
    // Streams from a cursor, so exporting millions of candles takes constant memory.
    await write(out, format === 'csv' ? 'timestamp,open,high,low,close,volume\n' : '[');
    for await (const c of store.stream({ ...key, from, to })) {
      const values = `${c.timestamp},${c.open},${c.high},${c.low},${c.close},${c.volume}`;
      await write(out, format === 'csv' ? `${values}\n` : `${rows === 0 ? '' : ',\n'}[${values}]`);
      rows++;
    }
    if (format === 'json') await write(out, ']\n');
    if (outFile) {
      out.end();
      await once(out, 'finish');
    }
    const summary = { ...key, format, rows, out: outFile ?? null };
    // Without --out the candles are the output, so the summary goes to stderr.
    if (!outFile) o.status(`exported ${formatCount(rows)} candles of ${describeKey(key)}`);
    return { ok: true, json: outFile ? summary : undefined, text: outFile ? [`Exported ${formatCount(rows)} candles of ${describeKey(key)} to ${outFile}`] : [] };
  };
}

export function listCommand(_o: CommandOptions): PreparedCommand {
  return async (store) => {
    const series = await store.listStored();
    if (series.length === 0) return { ok: true, json: series, text: ['No candles stored.'] };
    const rows = series.map((s) => [s.exchangeName, s.symbol, s.interval, formatCount(s.count), formatTime(s.first), formatTime(s.last)]);
    const header = ['exchange', 'symbol', 'interval', 'candles', 'first', 'last'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
    return { ok: true, json: series, text: [line(header), ...rows.map(line)] };
  };
}

export const COMMANDS = {
  import: importCommand,
  download: downloadCommand,
  gaps: gapsCommand,
  export: exportCommand,
  list: listCommand,
} as const;
