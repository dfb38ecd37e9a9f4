import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { candleViolations, type Candle, type CandleKey } from '../../../shared/candles';
import type { BulkUpsertResult } from '../db/candle-db-service';
import type { CandleStore } from './candle-store';
import {
  detectFormat,
  FatalFileError,
  readCandleRows,
  type CandleFileFormat,
  type ReadOptions,
  type ImportIssue,
  type ImportIssueRule,
  type SourceRow,
} from './candle-file-formats';

export const MAX_REPORTED_ISSUES = 50;
const WRITE_BATCH = 5000;
const WRITES_IN_FLIGHT = 2;
const PROGRESS_EVERY_MS = 200;

export interface ImportProgress {
  /** `validating` reads the whole file before anything is stored (strict mode); `storing` writes. */
  phase: 'validating' | 'storing';
  file: string;
  bytesRead: number;
  totalBytes: number;
  rows: number;
  stored: number;
}

export interface ImportOptions {
  file: string;
  /** The name the user knows the file by; issue locations start with it (default: the file's own name). */
  displayName?: string;
  /** Longest CSV line / JSON candle accepted (default 64 KiB). */
  maxRecordBytes?: number;
  key: CandleKey;
  /** Detected from the extension and the first line when absent. */
  format?: CandleFileFormat;
  /** Store the valid rows and report the others, instead of refusing the whole file. */
  skipInvalid?: boolean;
  onProgress?: (progress: ImportProgress) => void;
  signal?: AbortSignal;
}

export interface ImportReport {
  file: string;
  format: CandleFileFormat;
  key: CandleKey;
  /** True when the file was stored (strict: no issues at all; skipInvalid: no fatal issue). */
  ok: boolean;
  /** Data rows read (headers excluded). */
  rows: number;
  /** Rows that became candles in the database (inserted or updated). */
  stored: number;
  inserted: number;
  /** Rows whose candle was already stored (re-import): updated in place, never duplicated. */
  existing: number;
  /** Rows refused; in strict mode any refusal means nothing was stored. */
  skipped: number;
  /** The first MAX_REPORTED_ISSUES issues; `issueCount` has them all. */
  issues: ImportIssue[];
  issueCount: number;
  microsecondTimestamps: boolean;
  first?: number;
  last?: number;
  durationMs: number;
}

class IssueLog {
  readonly issues: ImportIssue[] = [];
  count = 0;
  add(issue: ImportIssue): void {
    this.count++;
    if (this.issues.length < MAX_REPORTED_ISSUES) this.issues.push(issue);
  }
}

interface ScanState {
  previous?: number;
  rows: number;
  valid: number;
  skipped: number;
  microseconds: boolean;
  first?: number;
  last?: number;
}

/** The candle rules said by field, without the row's values: an error never echoes the file. */
const RULE_MESSAGES: Record<string, (field: string, interval: string) => string> = {
  interval: (_f, interval) => `interval "${interval}" is not a known interval`,
  finite: (field) => `${field} is not a finite number`,
  timestamp: () => 'timestamp is not a whole number of ms >= 0',
  aligned: (_f, interval) => `timestamp is not aligned to the ${interval} interval`,
  high_low: () => 'high is below low',
  low_open_close: () => 'low is above open or close',
  high_open_close: () => 'high is below open or close',
  volume: () => 'volume is negative',
};

/** Everything wrong with one row: parsing, the shared candle rules, then strict time order. */
function rowIssues(row: SourceRow, interval: string, previous: number | undefined): ImportIssue[] {
  if (row.issues) return row.issues;
  const { candle, location, line } = row;
  const issues: ImportIssue[] = candleViolations(candle, interval).map((v) => ({
    location,
    line,
    rule: v.rule as ImportIssueRule,
    message: RULE_MESSAGES[v.rule]?.(v.field, interval) ?? `${v.field} breaks the ${v.rule} rule`,
  }));
  if (issues.length === 0 && previous !== undefined && candle.timestamp <= previous) {
    const same = candle.timestamp === previous;
    issues.push({
      location,
      line,
      rule: same ? 'duplicate' : 'unsorted',
      message: same ? 'timestamp is the same as the previous row’s (duplicate)' : 'timestamp is before the previous row’s: rows must be sorted by time',
    });
  }
  return issues;
}

/**
 * Reads a file row by row, checks each candle (shared candle rules, alignment, strict time order)
 * and hands the valid ones to `accept` in batches. Memory is one batch, whatever the file size.
 */
async function scanFile(
  format: CandleFileFormat,
  options: ImportOptions,
  readOptions: ReadOptions,
  file: string,
  log: IssueLog,
  onBatch: ((candles: Candle[]) => Promise<void>) | undefined,
  report: (state: ScanState, bytesRead: number) => void,
): Promise<ScanState> {
  const { key, signal } = options;
  const progress = readOptions.progress;
  const state: ScanState = { rows: 0, valid: 0, skipped: 0, microseconds: false };
  let batch: Candle[] = [];
  let lastReport = 0;
  for await (const rows of readCandleRows(format, file, { ...readOptions, progress })) {
    signal?.throwIfAborted();
    for (const row of rows) {
      state.rows++;
      const issues = rowIssues(row, key.interval, state.previous);
      if (issues.length > 0) {
        state.skipped++;
        for (const issue of issues) log.add(issue);
        continue;
      }
      if (!row.candle) continue;
      const candle = row.candle;
      state.previous = candle.timestamp;
      state.valid++;
      state.microseconds ||= row.microseconds;
      state.first ??= candle.timestamp;
      state.last = candle.timestamp;
      if (onBatch) {
        batch.push(candle);
        if (batch.length >= WRITE_BATCH) {
          signal?.throwIfAborted();
          await onBatch(batch);
          batch = [];
        }
      }
    }
    const now = Date.now();
    if (now - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = now;
      report(state, progress.bytesRead);
    }
  }
  signal?.throwIfAborted();
  if (onBatch && batch.length > 0) await onBatch(batch);
  report(state, progress.bytesRead);
  return state;
}

/**
 * Imports one candle file. Strict by default: the whole file is validated first and a single
 * bad row stores nothing. With `skipInvalid` the valid rows are stored in the same pass.
 * Writes are idempotent upserts, so importing a file again adds no documents.
 */
/**
 * The file's size, checked on the opened file before anything is read: only a regular file is
 * imported (a FIFO or a device such as /dev/zero would never end, a folder has no rows).
 */
async function regularFileSize(file: string, name: string): Promise<number> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${name} is not a regular file (a folder, device or pipe cannot be imported)`);
    return stats.size;
  } finally {
    await handle.close();
  }
}

export async function importCandleFile(service: CandleStore, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const { file, key } = options;
  const name = options.displayName ?? basename(file);
  options.signal?.throwIfAborted();
  const totalBytes = await regularFileSize(file, name);
  const format = options.format ?? (await detectFormat(file));
  const readOptions = (): ReadOptions => ({
    name,
    progress: { bytesRead: 0 },
    totalBytes,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}),
  });
  const log = new IssueLog();
  const written: BulkUpsertResult = { inserted: 0, modified: 0, matched: 0 };
  let storedRows = 0;
  const inFlight = new Set<Promise<void>>();
  let writeError: unknown;
  const drain = async (): Promise<void> => {
    await Promise.all(inFlight);
    if (writeError) throw writeError;
  };

  // Parsing goes on while up to WRITES_IN_FLIGHT batches are being written; batches hold
  // disjoint timestamps, so their order of arrival does not matter.
  const store = async (candles: Candle[]): Promise<void> => {
    while (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    if (writeError) throw writeError;
    // A file imported before is all duplicates: skip the insert attempt once that shows.
    const write: Promise<void> = (storedRows > 0 && written.matched === storedRows ? service.bulkUpsert(key, candles) : service.insertOrUpsert(key, candles))
      .then((r) => {
        written.inserted += r.inserted;
        written.modified += r.modified;
        written.matched += r.matched;
        storedRows += candles.length;
      })
      .catch((error: unknown) => {
        writeError ??= error;
      })
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
  };
  const progress = (phase: ImportProgress['phase']) => (state: ScanState, bytesRead: number) =>
    options.onProgress?.({ phase, file, bytesRead, totalBytes, rows: state.rows, stored: storedRows });

  const finish = (state: ScanState, ok: boolean, extra?: ImportIssue): ImportReport => {
    if (extra) log.add(extra);
    return {
      file,
      format,
      key,
      ok,
      rows: state.rows,
      stored: storedRows,
      inserted: written.inserted,
      existing: written.matched,
      skipped: state.skipped,
      issues: log.issues,
      issueCount: log.count,
      microsecondTimestamps: state.microseconds,
      first: state.first,
      last: state.last,
      durationMs: Math.round(performance.now() - started),
    };
  };
  const emptyIssue = (): ImportIssue => ({ location: `${name}:1`, line: 1, rule: 'empty', message: totalBytes === 0 ? 'the file is empty' : 'the file holds no candles' });

  try {
    if (!options.skipInvalid) {
      const checked = await scanFile(format, options, readOptions(), file, log, undefined, progress('validating'));
      if (checked.rows === 0) return finish(checked, false, emptyIssue());
      if (log.count > 0) return finish(checked, false);
    }
    const state = await scanFile(format, options, readOptions(), file, options.skipInvalid ? log : new IssueLog(), store, progress('storing'));
    await drain();
    if (state.rows === 0) return finish(state, false, emptyIssue());
    return finish(state, state.valid > 0);
  } catch (error) {
    await Promise.all(inFlight);
    if (error instanceof FatalFileError) {
      return finish({ rows: 0, valid: 0, skipped: 0, microseconds: false }, false, error.issue);
    }
    throw error;
  }
}
