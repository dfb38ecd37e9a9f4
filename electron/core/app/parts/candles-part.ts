import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { INTERVAL_MS, INTERVALS, type CandleKey, type Interval } from '../../../../shared/candles';
import type { LogSubject } from '../../../../shared/contract/domain';
import type { EventPayload } from '../../../../shared/contract/events';
import { countOf } from '../../../../shared/contract/notification-text';
import { ContractFailure } from '../../../../shared/contract/result';
import type { ConnectionManager } from '../../db/connection-manager';
import { backfillGaps } from '../../market/candle-backfill';
import { coverage } from '../../market/candle-coverage';
import { canDerive, deriveCandles } from '../../market/candle-derived';
import { EXPORT_MEDIA_TYPES, exportChunk, exportFileName, type CandleExportFormat, type CandleExportRange } from '../../market/candle-export';
import { downloadCandles } from '../../market/candle-download';
import { downsample } from '../../market/candle-history';
import { overviewOf } from '../../market/candle-overview';
import { createExchangeClient } from '../../market/exchange-client';
import { seriesFromFileName } from '../../market/series-from-file-name';
import { importCandleFile } from '../../market/candle-importer';
import { CandleStore } from '../../market/candle-store';
import { resolveImportPath } from '../import-paths';
import type { CandlesPort, Emit } from '../ports';
import { displayFileName, type StoredUpload, type UploadStore } from '../uploads';

export interface CandlesPartOptions {
  database: () => ConnectionManager | undefined;
  /** Uploads (host's HTTP endpoint, inline contents) waiting for their import. */
  uploads: UploadStore;
  /** The only folders a path import may read (realpath-checked). */
  importDirs: readonly string[];
  /** Largest file a path import may read and an inline content may become. */
  maxImportBytes: number;
  emit: Emit;
  /** Replaces the exchange's REST hosts (a proxy, a mirror, the fake exchange in tests): BACKTEST_MONITOR_EXCHANGE_API_URL. */
  exchangeApiUrl?: string;
  /** Where the chart's columnar copies of viewed series are kept across restarts (market/candle-overview). */
  chartCacheDir?: string;
  log?: (level: 'info' | 'warn', message: string, subject?: LogSubject) => void;
}

/** Emits at most one progress event per series every 250 ms. */
function throttled(emit: Emit): (progress: EventPayload<'candles.progress'>, final?: boolean) => void {
  let last = 0;
  return (progress, final = false) => {
    const now = Date.now();
    if (!final && now - last < 250) return;
    last = now;
    emit('candles.progress', progress);
  };
}

/** How long a prepared export waits to be read, and how many may wait at once. */
const EXPORT_TTL_MS = 15 * 60 * 1000;
const MAX_PENDING_EXPORTS = 32;

interface PendingExport {
  range: CandleExportRange;
  format: CandleExportFormat;
  createdAt: number;
}

function exchangeFor(exchangeName: string, exchangeApiUrl: string | undefined): ReturnType<typeof createExchangeClient> {
  try {
    return createExchangeClient(exchangeName, exchangeApiUrl ? { apiUrl: exchangeApiUrl } : {});
  } catch (error) {
    throw new ContractFailure('invalid_payload', `exchangeName: ${error instanceof Error ? error.message : String(error)}`, [
      { path: 'exchangeName', message: 'not an exchange ccxt knows' },
    ]);
  }
}

/** The subject of a log line about a candle series: the Logs view links it to the Candles page on that series. */
const seriesSubject = (key: CandleKey): LogSubject => ({ kind: 'series', exchangeName: key.exchangeName, symbol: key.symbol, interval: key.interval });

const describeRange = (r: { from?: number; to?: number }): string =>
  r.from === undefined && r.to === undefined ? 'the whole series' : `${r.from === undefined ? 'start' : new Date(r.from).toISOString()} → ${r.to === undefined ? 'end' : new Date(r.to).toISOString()}`;

/** Candle history, import, download and coverage over the market-data code, on the app's current database. */
export function createCandlesPart({ database, uploads, importDirs, maxImportBytes, emit, exchangeApiUrl, chartCacheDir, log }: CandlesPartOptions): CandlesPort {
  let cached: { manager: ConnectionManager; store: CandleStore } | undefined;
  const store = (): CandleStore => {
    const manager = database();
    if (!manager?.isConnected) {
      throw new ContractFailure('unavailable', 'candle history needs a database, and none is connected (see the database status)');
    }
    if (cached?.manager !== manager) {
      cached = { manager, store: new CandleStore(manager.connection) };
      overviewOf(cached.store, { dir: chartCacheDir, onError: (message, error) => log?.('warn', `${message}: ${error instanceof Error ? error.message : String(error)}`) });
    }
    return cached.store;
  };

  const exports = new Map<string, PendingExport>();
  const sweepExports = (): void => {
    const now = Date.now();
    for (const [id, pending] of exports) if (now - pending.createdAt > EXPORT_TTL_MS) exports.delete(id);
  };

  /** The finest stored interval `target` can be built from (cheap indexed look-ups, finest first). */
  const sourceFor = async (key: CandleKey, target: Interval): Promise<Interval> => {
    for (const interval of INTERVALS) {
      if (!canDerive(interval, target)) continue;
      if ((await store().oldestTimestamp({ ...key, interval })) !== undefined) return interval;
    }
    throw new ContractFailure('not_found', `no stored ${key.exchangeName} ${key.symbol} candles finer than ${target} to build ${target} bars from`);
  };

  return {
    async symbols() {
      return { series: await store().listStored() };
    },
    async query({ limit, ...range }) {
      const max = limit ?? 100_000;
      const candles = await store().range({ ...range, limit: max + 1 });
      return { candles: candles.slice(0, max), truncated: candles.length > max };
    },
    async chart({ maxPoints, ...range }) {
      const series = await downsample(store(), { ...range, maxPoints });
      return { bucketMs: series.bucketMs, aggregated: series.bucketMs > INTERVAL_MS[range.interval], candles: series.candles };
    },
    async page({ order, ...request }) {
      const page = await store().page({ ...request, direction: order === 'desc' ? -1 : 1 });
      return { rows: page.items, nextCursor: page.next ?? null };
    },
    async gaps(request) {
      const result = await coverage(store(), request);
      return {
        count: result.count,
        missingCandles: result.missingCandles,
        from: result.from ?? null,
        to: result.to ?? null,
        stored: result.stored,
        gaps: result.gaps,
      };
    },
    async import(request, context) {
      const signal = context?.signal;
      // The name the user knows the file by: messages and issue locations start with it, never with a temp name.
      const fileName = displayFileName(request.source.kind === 'path' ? basename(request.source.path) : request.source.fileName);
      const candleStore = store();

      let file: string;
      let bytes: number;
      let upload: StoredUpload | undefined;
      if (request.source.kind === 'path') {
        ({ file, bytes } = await resolveImportPath(request.source.path, importDirs, maxImportBytes));
      } else {
        if (request.source.kind === 'upload') {
          upload = uploads.take(request.source.uploadId);
        } else {
          // Inline contents take the same road as an upload: a generated name and our extension.
          const { uploadId } = await uploads.receive(Readable.from([Buffer.from(request.source.text, 'utf8')]), {
            fileName,
            maxBytes: maxImportBytes,
            ...(signal ? { signal } : {}),
          });
          upload = uploads.take(uploadId);
        }
        file = upload.file;
        bytes = upload.bytes;
      }
      // Known once the symbol and interval are: a failure after that links to the series.
      let series: CandleKey | undefined;
      try {
        if (bytes === 0) {
          throw new ContractFailure('invalid_payload', `${fileName}: the file is empty`, [{ path: 'source', message: 'the file is empty' }]);
        }
        const guess = seriesFromFileName(fileName);
        const symbol = request.symbol ?? guess.symbol;
        const interval = request.interval ?? guess.interval;
        if (!symbol) throw new ContractFailure('invalid_payload', 'symbol: not given and not in the file name', [{ path: 'symbol', message: 'required' }]);
        if (!interval) throw new ContractFailure('invalid_payload', 'interval: not given and not in the file name', [{ path: 'interval', message: 'required' }]);
        const key: CandleKey = { exchangeName: request.exchangeName, symbol, interval };
        series = key;
        const progress = throttled(emit);
        const report = await importCandleFile(candleStore, {
          file,
          displayName: fileName,
          key,
          skipInvalid: request.skipInvalid,
          ...(signal ? { signal } : {}),
          onProgress: (p) =>
            progress({ ...key, operation: 'import', fraction: p.totalBytes ? Math.min(1, p.bytesRead / p.totalBytes) : 0, count: p.rows, message: p.phase }),
        });
        progress({ ...key, operation: 'import', fraction: 1, count: report.rows, message: report.ok ? 'done' : 'refused' }, true);
        // The Logs view tells what happened to the data: every import, stored or refused.
        log?.(
          report.ok ? 'info' : 'warn',
          `import of ${fileName} as ${key.exchangeName} ${key.symbol} ${key.interval} ${report.ok ? 'stored' : 'refused'}: ${countOf(report.rows, 'row')} read, ${report.inserted} new, ${report.existing} already stored, ${report.skipped} skipped, ${countOf(report.issueCount, 'issue')} (${report.durationMs} ms)`,
          seriesSubject(key),
        );
        return {
          exchangeName: report.key.exchangeName,
          symbol: report.key.symbol,
          interval: report.key.interval,
          format: report.format,
          ok: report.ok,
          rows: report.rows,
          inserted: report.inserted,
          updated: report.existing,
          skipped: report.skipped,
          issues: report.issues.map((i) => ({ location: i.location, rule: i.rule, message: i.message })),
          issueCount: report.issueCount,
          ...(report.first !== undefined ? { first: report.first } : {}),
          ...(report.last !== undefined ? { last: report.last } : {}),
          durationMs: report.durationMs,
        };
      } catch (error) {
        log?.('warn', `import of ${fileName}${series ? ` as ${series.exchangeName} ${series.symbol} ${series.interval}` : ''} failed: ${error instanceof Error ? error.message.replaceAll(file, fileName) : String(error)}`, series ? seriesSubject(series) : undefined);
        if (error instanceof ContractFailure) throw error;
        if (signal?.aborted) throw new ContractFailure('unavailable', `the import of ${fileName} was cancelled`);
        // Importer errors name the file, the line and the field; never a cell's value or a host path.
        throw new ContractFailure('invalid_payload', `cannot import ${fileName}: ${error instanceof Error ? error.message.replaceAll(file, fileName) : String(error)}`);
      } finally {
        if (upload) uploads.discard(upload);
      }
    },
    async download({ exchangeName, symbol, interval, from, to }, context) {
      const candleStore = store();
      const exchange = exchangeFor(exchangeName, exchangeApiUrl);
      const key: CandleKey = { exchangeName, symbol, interval };
      const progress = throttled(emit);
      try {
        const report = await downloadCandles({
          exchange,
          store: candleStore,
          exchangeName,
          symbol,
          interval,
          from,
          to,
          ...(context?.signal ? { signal: context.signal } : {}),
          onProgress: (p) =>
            progress({ ...key, operation: 'download', fraction: p.fraction, count: p.fetched, ...(p.retry ? { message: `retry ${p.retry.attempt}: ${p.retry.reason}` } : {}) }),
        });
        progress({ ...key, operation: 'download', fraction: 1, count: report.fetched, message: 'done' }, true);
        log?.('info', `download of ${exchangeName} ${symbol} ${interval} done: ${report.fetched} fetched in ${report.pages} pages, ${report.inserted} new, ${report.rejected} rejected (${report.durationMs} ms)`, seriesSubject(key));
        return {
          from: report.from,
          to: report.to,
          resumed: report.resumed,
          pages: report.pages,
          fetched: report.fetched,
          inserted: report.inserted,
          rejected: report.rejected,
          durationMs: report.durationMs,
        };
      } catch (error) {
        log?.('warn', `download of ${exchangeName} ${symbol} ${interval} failed: ${error instanceof Error ? error.message : String(error)}`, seriesSubject(key));
        if (context?.signal?.aborted) throw new ContractFailure('unavailable', `the download of ${symbol} ${interval} was cancelled; what was fetched is stored and the next download resumes after it`);
        throw new ContractFailure('unavailable', `download from ${exchangeName} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async export({ format, ...range }) {
      sweepExports();
      if (exports.size >= MAX_PENDING_EXPORTS) {
        throw new ContractFailure('unavailable', `${MAX_PENDING_EXPORTS} exports are already waiting to be read; finish or wait for them (they expire after 15 minutes)`);
      }
      const rows = await store().countRange(range);
      if (rows === 0) throw new ContractFailure('not_found', `no stored ${range.exchangeName} ${range.symbol} ${range.interval} candles in ${describeRange(range)}: nothing to export`);
      const exportId = randomUUID();
      exports.set(exportId, { range, format, createdAt: Date.now() });
      log?.('info', `export of ${countOf(rows, `${range.exchangeName} ${range.symbol} ${range.interval} candle`)} as ${format} (${describeRange(range)})`, seriesSubject(range));
      return { exportId, fileName: exportFileName(range, format), mediaType: EXPORT_MEDIA_TYPES[format], rows };
    },
    async exportChunk({ exportId, after }) {
      const pending = exports.get(exportId);
      if (!pending || Date.now() - pending.createdAt > EXPORT_TTL_MS) {
        exports.delete(exportId);
        throw new ContractFailure('not_found', 'this export has expired or was already read to the end; export again');
      }
      const chunk = await exportChunk(store(), pending.range, pending.format, after);
      // Read to the end: the id is spent.
      if (chunk.next === undefined) exports.delete(exportId);
      return { text: chunk.text, rows: chunk.rows, nextCursor: chunk.next ?? null };
    },
    async delete({ dryRun, expected, ...range }) {
      const key: CandleKey = { exchangeName: range.exchangeName, symbol: range.symbol, interval: range.interval };
      const count = await store().countRange(range);
      if (dryRun) return { count, deleted: 0, dryRun: true };
      if (expected !== undefined && expected !== count) {
        throw new ContractFailure('conflict', `the range now holds ${count} candles, not the ${expected} you confirmed (something wrote to it since); nothing was deleted, ask again`);
      }
      // The store's delete also drops the chart's copies of the series and updates the series catalog.
      const deleted = await store().deleteRange(range);
      log?.('info', `deleted ${countOf(deleted, `${key.exchangeName} ${key.symbol} ${key.interval} candle`)} (${describeRange(range)})`, seriesSubject(key));
      return { count, deleted, dryRun: false };
    },
    async backfill(range, context) {
      const key: CandleKey = { exchangeName: range.exchangeName, symbol: range.symbol, interval: range.interval };
      const candleStore = store();
      const exchange = exchangeFor(key.exchangeName, exchangeApiUrl);
      const progress = throttled(emit);
      try {
        const outcome = await backfillGaps({
          ...key,
          exchange,
          store: candleStore,
          from: range.from,
          to: range.to,
          ...(context?.signal ? { signal: context.signal } : {}),
          onProgress: (p) =>
            progress({ ...key, operation: 'backfill', fraction: p.fraction, count: p.fetched, message: p.message ?? `gap ${Math.min(p.gap + 1, p.gaps)} of ${p.gaps}` }),
        });
        progress({ ...key, operation: 'backfill', fraction: 1, count: outcome.fetched, message: 'done' }, true);
        log?.(
          outcome.failures.length ? 'warn' : 'info',
          `backfill of ${key.exchangeName} ${key.symbol} ${key.interval} (${describeRange(range)}): ${countOf(outcome.gaps, 'gap')}, ${outcome.missingBefore} missing before, ${outcome.inserted} new, ${outcome.missingAfter} still missing, ${outcome.failures.length} failed${outcome.failures[0] ? ` (first: ${outcome.failures[0].message})` : ''}${outcome.stopped ? `; ${outcome.stopped}` : ''} (${outcome.durationMs} ms)`,
          seriesSubject(key),
        );
        return outcome;
      } catch (error) {
        log?.('warn', `backfill of ${key.exchangeName} ${key.symbol} ${key.interval} failed: ${error instanceof Error ? error.message : String(error)}`, seriesSubject(key));
        if (context?.signal?.aborted) throw new ContractFailure('unavailable', `the backfill of ${key.symbol} ${key.interval} was cancelled; the gaps filled so far are stored`);
        if (error instanceof ContractFailure) throw error;
        throw new ContractFailure('unavailable', `backfill from ${key.exchangeName} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async derived({ maxPoints, source, ...request }) {
      const key: CandleKey = { exchangeName: request.exchangeName, symbol: request.symbol, interval: request.interval };
      if (source !== undefined && !canDerive(source, request.interval)) {
        throw new ContractFailure('invalid_payload', `source: ${request.interval} bars cannot be built from ${source} candles (${request.interval} must be a whole multiple of it)`, [
          { path: 'source', message: `not a divisor of ${request.interval}` },
        ]);
      }
      const from = source ?? (await sourceFor(key, request.interval));
      const series = await deriveCandles(overviewOf(store()), { ...request, source: from, maxPoints });
      return {
        source: from,
        bucketMs: series.bucketMs,
        aggregated: series.bucketMs > INTERVAL_MS[request.interval],
        from: series.from,
        to: series.to,
        expected: series.bucketMs / INTERVAL_MS[from],
        partial: series.partial,
        candles: series.bars.map(({ expected: _expected, ...bar }) => bar),
      };
    },
  };
}
