import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { JSONParser } from '@streamparser/json';
import { parse as parseCsv } from 'csv-parse';
import type { Candle } from '../../../shared/candles';

/** The candle file layouts the importer reads. */
export const CANDLE_FILE_FORMATS = ['binance-csv', 'ohlcv-json', 'csv'] as const;
export type CandleFileFormat = (typeof CANDLE_FILE_FORMATS)[number];

export function isCandleFileFormat(value: unknown): value is CandleFileFormat {
  return typeof value === 'string' && (CANDLE_FILE_FORMATS as readonly string[]).includes(value);
}

/** Why a row (or the whole file) was refused. */
export type ImportIssueRule =
  | 'empty'
  | 'syntax'
  | 'columns'
  | 'header'
  | 'number'
  | 'timestamp'
  | 'finite'
  | 'aligned'
  | 'high_low'
  | 'low_open_close'
  | 'high_open_close'
  | 'volume'
  | 'interval'
  | 'unsorted'
  | 'duplicate';

/** Where a row is: `file:line` for CSV, `file:candle N` for JSON (those files are usually a single line). */
export interface RowPosition {
  location: string;
  /** The CSV line, or the 1-based candle number in a JSON array. */
  line: number;
}

export interface ImportIssue extends RowPosition {
  rule: ImportIssueRule;
  message: string;
}

/** One data row of a file turned into a candle, or the reasons it could not be. */
export type SourceRow =
  | (RowPosition & { candle: Candle; microseconds: boolean; issues?: undefined })
  | (RowPosition & { candle?: undefined; issues: ImportIssue[] });

/** A problem that stops reading the file altogether (unparseable JSON, a header that names no timestamp). */
export class FatalFileError extends Error {
  constructor(public readonly issue: ImportIssue) {
    super(`${issue.location}: ${issue.message}`);
    this.name = 'FatalFileError';
  }
}

export interface ReadProgress {
  bytesRead: number;
}

/** A CSV line or a JSON candle longer than this is refused (bounded memory and time per row). */
export const MAX_RECORD_BYTES = 64 * 1024;

/** How a file is read: under which name it is reported, how much of it, when to stop. */
export interface ReadOptions {
  /** The name issue locations start with (the user's file name, never a temp name). */
  name: string;
  progress: ReadProgress;
  /** Read at most this many bytes (the size checked before reading), so a growing file cannot run forever. */
  totalBytes?: number;
  signal?: AbortSignal;
  maxRecordBytes?: number;
}

function readStream(file: string, options: ReadOptions): NodeJS.ReadableStream {
  return createReadStream(file, {
    highWaterMark: CHUNK_BYTES,
    ...(options.totalBytes !== undefined && options.totalBytes > 0 ? { start: 0, end: options.totalBytes - 1 } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** csv-parse's own errors, said without quoting the file (its messages can carry cell contents). */
function csvProblem(error: unknown, name: string, maxRecordBytes: number): FatalFileError {
  const { code, lines } = (error ?? {}) as { code?: string; lines?: number };
  const line = typeof lines === 'number' && lines > 0 ? lines : 1;
  const what: Record<string, string> = {
    CSV_MAX_RECORD_SIZE: `a line is longer than ${Math.round(maxRecordBytes / 1024)} KiB`,
    CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
    CSV_INVALID_CLOSING_QUOTE: 'a quote inside a field is not escaped',
    CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows a closing quote',
    CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'the number of columns changes',
  };
  return new FatalFileError({ location: `${name}:${line}`, line, rule: 'syntax', message: what[code ?? ''] ?? `the CSV cannot be parsed (${code ?? 'unknown error'})` });
}

// Binance moved its bulk spot data to microsecond timestamps in 2025; anything this large
// cannot be a millisecond timestamp (it would be ~5000 years from now).
const MICROSECOND_THRESHOLD = 1e14;

const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const OHLCV_FIELDS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;
type OhlcvField = (typeof OHLCV_FIELDS)[number];

export async function detectFormat(file: string): Promise<CandleFileFormat> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'ohlcv-json';
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(512), 0, 512, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (head.startsWith('[')) return 'ohlcv-json';
    const firstLine = head.split(/\r?\n/)[0] ?? '';
    const cells = firstLine.split(',').map((c) => c.trim().toLowerCase());
    // A header naming the OHLCV columns is the generic layout; Binance headers say open_time.
    if (cells.includes('timestamp') || cells.includes('date') || cells.includes('time')) return 'csv';
    return 'binance-csv';
  } finally {
    await handle.close();
  }
}

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (!NUMBER_PATTERN.test(text)) return undefined;
  return Number(text);
}

/** Parses the six OHLCV values; a microsecond timestamp is converted to milliseconds. */
function candleFrom(values: readonly unknown[], at: RowPosition, parseTimestamp = toNumber, parseValue = toNumber): SourceRow {
  const issues: ImportIssue[] = [];
  const parsed: Partial<Record<OhlcvField, number>> = {};
  OHLCV_FIELDS.forEach((field, i) => {
    const raw = values[i];
    const value = field === 'timestamp' ? parseTimestamp(raw) : parseValue(raw);
    // The message names the field, never the cell: a file's contents are not echoed back.
    if (value === undefined) {
      issues.push({ ...at, rule: 'number', message: raw === undefined || raw === '' ? `${field} is missing` : `${field} is not a number` });
    } else if (!Number.isFinite(value)) {
      issues.push({ ...at, rule: 'finite', message: `${field} is not a finite number` });
    } else {
      parsed[field] = value;
    }
  });
  if (issues.length > 0) return { ...at, issues };
  let timestamp = parsed.timestamp!;
  const microseconds = timestamp >= MICROSECOND_THRESHOLD;
  if (microseconds) timestamp /= 1000;
  return {
    ...at,
    microseconds,
    candle: { timestamp, open: parsed.open!, high: parsed.high!, low: parsed.low!, close: parsed.close!, volume: parsed.volume! },
  };
}

const CHUNK_BYTES = 256 * 1024;
const JSON_SLICE_BYTES = 16 * 1024;

interface CsvRecord {
  record: string[];
  line: number;
}

/**
 * CSV records in batches, one batch per 256 KiB read. Records are collected synchronously by
 * csv-parse's `on_record` hook: far cheaper than one async-iterator step per row.
 */
async function* csvRecordBatches(file: string, options: ReadOptions): AsyncGenerator<CsvRecord[]> {
  const { progress, name } = options;
  const maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  let batch: CsvRecord[] = [];
  const parser = parseCsv({
    // A record longer than this stops the import (with its line) instead of growing without end.
    max_record_size: maxRecordBytes,
    // A UTF-8 BOM (Excel) is dropped; CRLF and LF line ends are both recognised.
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    on_record: (record: string[], context) => {
      batch.push({ record, line: context.lines });
      return null;
    },
  });
  const failed = new Promise<never>((_, reject) => parser.once('error', (error) => reject(csvProblem(error, name, maxRecordBytes))));
  failed.catch(() => undefined);
  parser.resume();
  const feed = (chunk?: Buffer): Promise<void> =>
    Promise.race([
      failed,
      new Promise<void>((resolve) => {
        if (chunk) parser.write(chunk, () => resolve());
        else parser.end(() => resolve());
      }),
    ]);
  for await (const chunk of readStream(file, options)) {
    progress.bytesRead += (chunk as Buffer).length;
    await feed(chunk as Buffer);
    const ready = batch;
    batch = [];
    if (ready.length > 0) yield ready;
  }
  await feed();
  if (batch.length > 0) yield batch;
}

const BINANCE_COLUMNS = 12;

/** Binance bulk-download klines: 12 columns, header row optional, ms or µs open times. */
export async function* readBinanceCsv(file: string, options: ReadOptions): AsyncGenerator<SourceRow[]> {
  const { name } = options;
  let first = true;
  for await (const records of csvRecordBatches(file, options)) {
    const rows: SourceRow[] = [];
    for (const { record, line } of records) {
      const at = { location: `${name}:${line}`, line };
      if (first) {
        first = false;
        if (record[0] !== undefined && toNumber(record[0]) === undefined && /[a-z]/i.test(record[0])) continue; // header row
      }
      if (record.length !== BINANCE_COLUMNS) {
        rows.push({ ...at, issues: [{ ...at, rule: 'columns', message: `expected ${BINANCE_COLUMNS} columns (Binance kline), got ${record.length}` }] });
      } else {
        rows.push(candleFrom(record, at));
      }
    }
    yield rows;
  }
}

const HEADER_ALIASES: Record<OhlcvField, string[]> = {
  timestamp: ['timestamp', 'time', 'date', 'datetime', 'open_time', 'opentime'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c'],
  volume: ['volume', 'vol', 'v'],
};

function parseTimestampCell(raw: unknown): number | undefined {
  const asNumber = toNumber(raw);
  if (asNumber !== undefined) return asNumber;
  if (typeof raw !== 'string' || !ISO_8601.test(raw.trim())) return undefined;
  const text = raw.trim();
  // ISO 8601 without an offset means UTC here: candle files are always UTC.
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) || text.length === 10 ? text : `${text}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Generic CSV with a header naming timestamp (ms or ISO 8601), open, high, low, close, volume. */
export async function* readGenericCsv(file: string, options: ReadOptions): AsyncGenerator<SourceRow[]> {
  const { name } = options;
  let columns: number[] | undefined;
  let width = 0;
  for await (const records of csvRecordBatches(file, options)) {
    const rows: SourceRow[] = [];
    for (const { record, line } of records) {
      const at = { location: `${name}:${line}`, line };
      if (!columns) {
        const header = record.map((c) => c.toLowerCase());
        const found = OHLCV_FIELDS.map((field) => header.findIndex((h) => HEADER_ALIASES[field].includes(h)));
        const missing = OHLCV_FIELDS.filter((_, i) => found[i] === -1);
        if (missing.length > 0) {
          throw new FatalFileError({
            ...at,
            rule: 'header',
            message: `header must name timestamp,open,high,low,close,volume; missing ${missing.join(', ')}`,
          });
        }
        columns = found;
        width = record.length;
        continue;
      }
      if (record.length !== width) {
        rows.push({ ...at, issues: [{ ...at, rule: 'columns', message: `expected ${width} columns (as in the header), got ${record.length}` }] });
      } else {
        rows.push(candleFrom(columns.map((i) => record[i]), at, parseTimestampCell));
      }
    }
    yield rows;
  }
}

// A JSON candle holds numbers; a quoted "2" means the file was produced by something else.
const jsonNumber = (raw: unknown): number | undefined => (typeof raw === 'number' ? raw : undefined);

/** ccxt / freqtrade OHLCV JSON `[[ts, o, h, l, c, v], …]`, parsed as a stream: one candle in memory at a time. */
export async function* readOhlcvJson(file: string, options: ReadOptions): AsyncGenerator<SourceRow[]> {
  const { name, progress } = options;
  const maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  // Bytes fed since the last complete candle: one candle longer than the limit (a huge string,
  // deep nesting) stops the import instead of growing in memory.
  let sinceLastCandle = 0;
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  let pending: SourceRow[] = [];
  let index = 0;
  let rootSeen = false;
  let failure: Error | undefined;
  parser.onValue = ({ value, stack }) => {
    if (stack.length !== 1) return;
    index++;
    sinceLastCandle = 0;
    const at = { location: `${name}:candle ${index}`, line: index };
    if (!Array.isArray(value)) {
      pending.push({
        ...at,
        issues: [{ ...at, rule: 'columns', message: `expected an array [timestamp, open, high, low, close, volume], got ${value === null ? 'null' : typeof value}` }],
      });
    } else if (value.length !== 6) {
      pending.push({ ...at, issues: [{ ...at, rule: 'columns', message: `expected 6 values [timestamp, open, high, low, close, volume], got ${value.length}` }] });
    } else {
      pending.push(candleFrom(value, at, jsonNumber, jsonNumber));
    }
  };
  parser.onError = (error) => {
    failure = error;
  };
  const tooLong = (): FatalFileError =>
    new FatalFileError({ location: `${name}:candle ${index + 1}`, line: index + 1, rule: 'syntax', message: `candle ${index + 1} is longer than ${Math.round(maxRecordBytes / 1024)} KiB` });
  reading: for await (const chunk of readStream(file, options)) {
    progress.bytesRead += (chunk as Buffer).length;
    const text = (chunk as Buffer).toString('utf8');
    if (!rootSeen && text.trim() !== '') {
      rootSeen = true;
      if (!text.replace(/^\uFEFF/, '').trimStart().startsWith('[')) {
        throw new FatalFileError({ location: `${name}:1`, line: 1, rule: 'syntax', message: 'expected a JSON array of candles [[timestamp, open, high, low, close, volume], …]' });
      }
    }
    // Fed in slices so an over-long candle is caught within a slice of the limit.
    const buffer = chunk as Buffer;
    for (let at = 0; at < buffer.length && !parser.isEnded; at += JSON_SLICE_BYTES) {
      const slice = buffer.subarray(at, at + JSON_SLICE_BYTES);
      sinceLastCandle += slice.length;
      parser.write(slice);
      if (failure) break reading;
      if (sinceLastCandle > maxRecordBytes) throw tooLong();
    }
    const ready = pending;
    pending = [];
    if (ready.length > 0) yield ready;
  }
  if (!failure && rootSeen && !parser.isEnded) {
    try {
      parser.end();
    } catch (error) {
      failure = error as Error;
    }
  }
  if (failure) {
    // The parser's message quotes the offending text: say where, not what.
    throw new FatalFileError({ location: `${name}:candle ${index + 1}`, line: index + 1, rule: 'syntax', message: index === 0 ? 'invalid JSON before the first candle' : `invalid JSON after candle ${index}` });
  }
  if (pending.length > 0) yield pending;
}

/** The file's rows in batches (one per chunk read), so memory stays one chunk whatever the file size. */
export function readCandleRows(format: CandleFileFormat, file: string, options: ReadOptions): AsyncGenerator<SourceRow[]> {
  switch (format) {
    case 'binance-csv':
      return readBinanceCsv(file, options);
    case 'csv':
      return readGenericCsv(file, options);
    case 'ohlcv-json':
      return readOhlcvJson(file, options);
  }
}
