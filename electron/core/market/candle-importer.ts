import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { candleViolations, type Candle, type CandleKey } from '../../../shared/candles';
import type { BulkUpsertResult } from '../db/candle-db-service';
import type { CandleStore } from './candle-store';
import {
  detectFormat,
  FatalFileError,
  readCandleRows,
  type CandleFileFormat,
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

/** Everything wrong with one row: parsing, the shared candle rules, then strict time order. */
function rowIssues(row: SourceRow, interval: string, previous: number | undefined): ImportIssue[] {
  if (row.issues) return row.issues;
  const { candle, location, line } = row;
  const issues: ImportIssue[] = candleViolations(candle, interval).map((v) => ({ location, line, rule: v.rule as ImportIssueRule, message: v.message }));
  if (issues.length === 0 && previous !== undefined && candle.timestamp <= previous) {
    const same = candle.timestamp === previous;
    issues.push({
      location,
      line,
      rule: same ? 'duplicate' : 'unsorted',
      message: same
        ? `duplicate timestamp ${candle.timestamp} (${new Date(candle.timestamp).toISOString()})`
        : `timestamp ${new Date(candle.timestamp).toISOString()} is before the previous row's ${new Date(previous).toISOString()}: rows must be sorted by time`,
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
  log: IssueLog,
  onBatch: ((candles: Candle[]) => Promise<void>) | undefined,
  report: (state: ScanState, bytesRead: number) => void,
): Promise<ScanState> {
  const { file, key, signal } = options;
  const progress = { bytesRead: 0 };
  const state: ScanState = { rows: 0, valid: 0, skipped: 0, microseconds: false };
  let batch: Candle[] = [];
  let lastReport = 0;
  for await (const rows of readCandleRows(format, file, progress)) {
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
  if (onBatch && batch.length > 0) await onBatch(batch);
  report(state, progress.bytesRead);
  return state;
}

/**
 * Imports one candle file. Strict by default: the whole file is validated first and a single
 * bad row stores nothing. With `skipInvalid` the valid rows are stored in the same pass.
 * Writes are idempotent upserts, so importing a file again adds no documents.
 */
export async function importCandleFile(service: CandleStore, options: ImportOptions): Promise<ImportReport> {
  const started = performance.now();
  const { file, key } = options;
  const totalBytes = (await stat(file)).size;
  const format = options.format ?? (await detectFormat(file));
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
  const emptyIssue = (): ImportIssue => ({ location: `${basename(file)}:1`, line: 1, rule: 'empty', message: 'the file holds no candles' });

  try {
    if (!options.skipInvalid) {
      const checked = await scanFile(format, options, log, undefined, progress('validating'));
      if (checked.rows === 0) return finish(checked, false, emptyIssue());
      if (log.count > 0) return finish(checked, false);
    }
    const state = await scanFile(format, options, options.skipInvalid ? log : new IssueLog(), store, progress('storing'));
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
