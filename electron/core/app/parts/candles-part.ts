import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { INTERVAL_MS, type CandleKey } from '../../../../shared/candles';
import type { EventPayload } from '../../../../shared/contract/events';
import { ContractFailure } from '../../../../shared/contract/result';
import type { ConnectionManager } from '../../db/connection-manager';
import { coverage } from '../../market/candle-coverage';
import { downloadCandles } from '../../market/candle-download';
import { downsample } from '../../market/candle-history';
import { createExchangeClient } from '../../market/exchange-client';
import { seriesFromFileName } from '../../market/series-from-file-name';
import { importCandleFile } from '../../market/candle-importer';
import { CandleStore } from '../../market/candle-store';
import type { CandlesPort, Emit } from '../ports';

export interface CandlesPartOptions {
  database: () => ConnectionManager | undefined;
  /** Where browser uploads are written before the (streaming) importer reads them. */
  scratchDir: string;
  emit: Emit;
  /** Replaces the exchange's REST hosts (a proxy, a mirror, the fake exchange in tests): BACKTEST_MONITOR_EXCHANGE_API_URL. */
  exchangeApiUrl?: string;
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

/** Candle history, import, download and coverage over the market-data code, on the app's current database. */
export function createCandlesPart({ database, scratchDir, emit, exchangeApiUrl }: CandlesPartOptions): CandlesPort {
  let cached: { manager: ConnectionManager; store: CandleStore } | undefined;
  const store = (): CandleStore => {
    const manager = database();
    if (!manager?.isConnected) {
      throw new ContractFailure('unavailable', 'candle history needs a database, and none is connected (see the database status)');
    }
    if (cached?.manager !== manager) cached = { manager, store: new CandleStore(manager.connection) };
    return cached.store;
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
    async import(request) {
      const fileName = request.source.kind === 'path' ? request.source.path : request.source.fileName;
      const guess = seriesFromFileName(fileName);
      const symbol = request.symbol ?? guess.symbol;
      const interval = request.interval ?? guess.interval;
      if (!symbol) throw new ContractFailure('invalid_payload', 'symbol: not given and not in the file name', [{ path: 'symbol', message: 'required' }]);
      if (!interval) throw new ContractFailure('invalid_payload', 'interval: not given and not in the file name', [{ path: 'interval', message: 'required' }]);
      let file = fileName;
      let temp: string | undefined;
      if (request.source.kind === 'content') {
        // The importers stream from disk; a browser upload goes through a private scratch file.
        mkdirSync(scratchDir, { recursive: true });
        temp = join(scratchDir, `${randomUUID()}-${basename(request.source.fileName)}`);
        writeFileSync(temp, request.source.text, { mode: 0o600 });
        file = temp;
      }
      const key: CandleKey = { exchangeName: request.exchangeName, symbol, interval };
      const progress = throttled(emit);
      try {
        const report = await importCandleFile(store(), {
          file,
          key,
          skipInvalid: request.skipInvalid,
          onProgress: (p) =>
            progress({ ...key, operation: 'import', fraction: p.totalBytes ? Math.min(1, p.bytesRead / p.totalBytes) : 0, count: p.rows, message: p.phase }),
        });
        progress({ ...key, operation: 'import', fraction: 1, count: report.rows, message: report.ok ? 'done' : 'refused' }, true);
        const shown = (location: string): string => (temp ? location.replace(temp, basename(fileName)) : location);
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
          issues: report.issues.map((i) => ({ location: shown(i.location), rule: i.rule, message: i.message })),
          issueCount: report.issueCount,
          ...(report.first !== undefined ? { first: report.first } : {}),
          ...(report.last !== undefined ? { last: report.last } : {}),
          durationMs: report.durationMs,
        };
      } catch (error) {
        if (error instanceof ContractFailure) throw error;
        throw new ContractFailure('invalid_payload', `cannot import ${basename(fileName)}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        if (temp) rmSync(temp, { force: true });
      }
    },
    async download({ exchangeName, symbol, interval, from, to }) {
      const candleStore = store();
      let exchange;
      try {
        exchange = createExchangeClient(exchangeName, exchangeApiUrl ? { apiUrl: exchangeApiUrl } : {});
      } catch (error) {
        throw new ContractFailure('invalid_payload', `exchangeName: ${error instanceof Error ? error.message : String(error)}`, [
          { path: 'exchangeName', message: 'not an exchange ccxt knows' },
        ]);
      }
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
          onProgress: (p) =>
            progress({ ...key, operation: 'download', fraction: p.fraction, count: p.fetched, ...(p.retry ? { message: `retry ${p.retry.attempt}: ${p.retry.reason}` } : {}) }),
        });
        progress({ ...key, operation: 'download', fraction: 1, count: report.fetched, message: 'done' }, true);
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
        throw new ContractFailure('unavailable', `download from ${exchangeName} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
