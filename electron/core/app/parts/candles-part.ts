import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { INTERVAL_MS, isInterval, type Interval } from '../../../../shared/candles';
import { ContractFailure } from '../../../../shared/contract/result';
import type { ConnectionManager } from '../../db/connection-manager';
import { coverage } from '../../market/candle-coverage';
import { downsample } from '../../market/candle-history';
import { importCandleFile } from '../../market/candle-importer';
import { CandleStore } from '../../market/candle-store';
import type { CandlesPort } from '../ports';

/**
 * "ETH_BTC-1m.json" → ETH/BTC 1m; "ETHBTC-1m-2018-01.binance.csv" → ETHBTC 1m. Only a guess used
 * when the request leaves symbol or interval out.
 */
export function seriesFromFileName(fileName: string): { symbol?: string; interval?: Interval } {
  const [head = '', second] = basename(fileName).split(/[-.]/);
  const symbol = head ? head.replace(/_/g, '/') : undefined;
  const interval = second && isInterval(second) ? second : undefined;
  return { symbol, interval };
}

/** Candle history, import and coverage over the market-data code, on the app's current database. */
export function createCandlesPart(database: () => ConnectionManager | undefined, scratchDir: string): CandlesPort {
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
      try {
        const report = await importCandleFile(store(), {
          file,
          key: { exchangeName: request.exchangeName, symbol, interval },
          skipInvalid: request.skipInvalid,
        });
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
    async download() {
      throw new ContractFailure('unavailable', 'downloading from an exchange is not wired into the app yet');
    },
  };
}
