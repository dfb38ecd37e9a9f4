import { join } from 'node:path';
import type { Notification } from '../../../../shared/domain/notifications';
import type { RunEvent } from '../../../../shared/domain/runs';
import type { SignalRow } from '../../../../shared/domain/signals';
import { ContractFailure } from '../../../../shared/contract/result';
import type { ConnectionManager } from '../../db/connection-manager';
import { RunManager } from '../../engine/run-manager';
import { RunDbService } from '../../engine/run-store';
import { StrategyCatalog } from '../../engine/strategy-catalog';
import { CandleStore } from '../../market/candle-store';
import { createPersistence, matrixTable, persistConfigFromEnv, type Persistence } from '../../persist';
import { isOutageError } from '../../persist/outage-errors';
import { OutageTolerantRunStore } from './outage-tolerant-run-store';
import type { CoreParts, Emit } from '../ports';

export interface EnginePartOptions {
  dataDir: string;
  strategiesDir?: () => string | undefined;
  emit: Emit;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Bound {
  manager: ConnectionManager;
  live: Persistence;
  runs: RunManager;
  runStore: OutageTolerantRunStore;
}

function notFound(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/no run with id/i.test(message)) throw new ContractFailure('not_found', message);
  throw error;
}

/**
 * Runs, strategies, notifications, run state, the adapter matrix and the outage spool, over the
 * engine's RunManager and the persistence layer. Backtest persistence needs no database; live
 * persistence, the candle store and so the run manager are (re)built whenever the database changes.
 */
export async function createEnginePart(options: EnginePartOptions): Promise<CoreParts> {
  // The matrix file named by BACKTEST_MONITOR_PERSIST_CONFIG (if any) is read and validated once, at start.
  const config = persistConfigFromEnv();
  const backtest = await createPersistence({ mode: 'backtest', dataDir: options.dataDir, config });
  let bound: Bound | undefined;
  let binding: Promise<void> = Promise.resolve();
  const catalog = (): StrategyCatalog => bound?.runs.strategies ?? new StrategyCatalog({ userDir: options.strategiesDir?.() });

  const runs = (): RunManager => {
    if (!bound) throw new ContractFailure('unavailable', 'runs read their candles from the database, and none is connected (see the database status)');
    return bound.runs;
  };
  const persistences = (): Persistence[] => (bound ? [bound.live, backtest] : [backtest]);
  const persistenceFor = (runId: string): Persistence => {
    const summary = bound?.runs.list().find((r) => r.runId === runId);
    if (!summary) throw new ContractFailure('not_found', `no run with id ${runId}`);
    return summary.kind === 'backtest' ? backtest : bound!.live;
  };

  const forward = (event: RunEvent): void => {
    if (event.type === 'progress') {
      const { type: _type, ...progress } = event;
      options.emit('run.progress', progress);
      return;
    }
    options.emit('run.event', event);
    if (event.type === 'notification') {
      options.emit('notification', event.notification);
      void unreadCount().then((count) => options.emit('notifications.unread', { count }), () => undefined);
    }
  };

  /**
   * Reads every inbox (live and backtest), skipping the live one while MongoDB is unreachable so
   * the feed keeps working from events and the backtest inbox; `partial` says what was skipped.
   */
  async function fromInboxes<T>(read: (p: Persistence) => Promise<T>): Promise<{ results: T[]; partial?: string }> {
    const settled = await Promise.allSettled(persistences().map(read));
    const results: T[] = [];
    let partial: string | undefined;
    settled.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return void results.push(outcome.value);
      const error = outcome.reason as unknown;
      if (!isOutageError(error)) throw error;
      partial = `the ${persistences()[i]!.mode} inbox is unavailable while MongoDB is unreachable`;
    });
    return partial ? { results, partial } : { results };
  }

  async function unreadCount(): Promise<number> {
    const { results } = await fromInboxes((p) => p.notifications.unreadCount());
    return results.reduce((a, b) => a + b, 0);
  }

  async function bind(manager: ConnectionManager | undefined): Promise<void> {
    const old = bound;
    bound = undefined;
    if (old) {
      await old.runs.close();
      await old.runStore.flush().catch(() => undefined);
      old.runStore.dispose();
      await old.live.close();
    }
    if (!manager?.isConnected) return;
    const live = await createPersistence({ mode: 'live', dataDir: options.dataDir, connection: manager, config });
    const runStore = new OutageTolerantRunStore(
      new RunDbService(manager.connection),
      2000,
      (runId, reason) => options.log('warn', `holding run ${runId}'s checkpoint until MongoDB answers again (${reason})`),
      () => manager.isConnected,
    );
    const runManager = new RunManager({
      candles: new CandleStore(manager.connection),
      cacheDir: join(options.dataDir, 'candle-cache'),
      strategiesDir: options.strategiesDir?.(),
      persistence: { live, backtest },
      runStore,
    });
    runManager.on('event', forward);
    bound = { manager, live, runs: runManager, runStore };
    const resumed = await runManager.resumeUnfinished().catch((error: unknown) => {
      options.log('warn', `could not resume unfinished runs: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    });
    if (resumed.length) options.log('info', `resumed ${resumed.length} paper/live run(s): ${resumed.join(', ')}`);
  }

  return {
    attachDatabase(manager) {
      binding = binding.then(() => bind(manager)).catch((error: unknown) => {
        options.log('error', `the run engine could not start on the database: ${error instanceof Error ? error.message : String(error)}`);
      });
      return binding;
    },
    runs: {
      async start(request) {
        try {
          const summary = await runs().start(request);
          return { runId: summary.runId };
        } catch (error) {
          if (error instanceof ContractFailure) throw error;
          throw new ContractFailure('invalid_payload', error instanceof Error ? error.message : String(error));
        }
      },
      async stop({ runId }) {
        return runs().stop(runId).catch(notFound);
      },
      async list(filter) {
        return { runs: bound ? bound.runs.list(filter) : [] };
      },
      async get({ runId }) {
        try {
          return { run: runs().get(runId) };
        } catch (error) {
          return notFound(error);
        }
      },
      async stopAll() {
        if (!bound) return;
        await Promise.all(bound.runs.list({ status: 'running' }).map((r) => bound!.runs.stop(r.runId).catch(() => undefined)));
      },
    },
    strategies: {
      async list() {
        return { strategies: await catalog().list() };
      },
    },
    notifications: {
      async list({ limit, offset, unreadOnly, types, runId, symbol }) {
        const filter = { unreadOnly, ...(types ? { type: types } : {}), ...(runId ? { runId } : {}), ...(symbol ? { symbol } : {}) };
        const { results: pages, partial } = await fromInboxes((p) => p.notifications.list(filter, { limit: offset + limit }));
        const merged: Notification[] = pages.flatMap((p) => p.items).sort((a, b) => b.createdAt - a.createdAt);
        const total = pages.reduce((a, p) => a + p.total, 0);
        return { items: merged.slice(offset, offset + limit), total, hasMore: offset + limit < total, ...(partial ? { partial } : {}) };
      },
      async markRead(request) {
        let updated = 0;
        for (const p of persistences()) {
          if (request.all) updated += await p.notifications.markAllRead();
          else updated += await p.notifications.markRead(request.ids ?? [], p.mode === 'backtest');
        }
        options.emit('notifications.unread', { count: await unreadCount() });
        return { updated };
      },
      async unreadCount() {
        return { count: await unreadCount() };
      },
    },
    state: {
      async get({ runId }) {
        const detail = runs().get(runId);
        const p = persistenceFor(runId);
        // Backtests keep their signal rows in the run itself (the engine skips the Storage write for speed).
        const storage =
          detail.kind === 'backtest' ? detail.signals : (await p.storage.listSignals({ runId }, { limit: 10_000 })).items.map((e) => e.value as SignalRow);
        const signalIds = new Set(storage.map((s) => s.signalId));
        const backtestFlag = detail.kind === 'backtest';
        const session = [];
        for (const symbol of detail.symbols) {
          const value = await p.session.get({ strategyName: detail.strategyName, exchangeName: detail.exchangeName, frameName: detail.frameName, symbol, backtest: backtestFlag });
          if (value !== null) session.push({ symbol, value });
        }
        const state = (await p.state.list({ limit: 10_000 })).items
          .filter((e) => signalIds.has(e.key.signalId))
          .map((e) => ({ signalId: e.key.signalId, bucketName: e.key.bucketName, value: e.value }));
        const memory = (await p.memory.list({ limit: 10_000 })).items
          .filter((e) => signalIds.has(e.key.signalId))
          .map((e) => ({ signalId: e.key.signalId, bucketName: e.key.bucketName, memoryId: e.key.memoryId, value: e.value }));
        const recent: SignalRow[] = [];
        for (const symbol of detail.symbols) {
          const row = await p.recent.latest({ symbol, strategyName: detail.strategyName, exchangeName: detail.exchangeName, frameName: detail.frameName, backtest: backtestFlag });
          if (row) recent.push(row);
        }
        return { runId, session, state, memory, recent, storage };
      },
    },
    matrix: {
      async get({ runId }) {
        const rows = matrixTable(config);
        const active = bound ? bound.runs.list().filter((r) => (runId ? r.runId === runId : r.status === 'running' || r.status === 'queued')) : [];
        return { rows, runs: active.map((r) => ({ runId: r.runId, kind: r.kind, mode: r.kind === 'backtest' ? ('backtest' as const) : ('live' as const) })) };
      },
    },
    logSink: (input) => backtest.log.append(input),
    logs: {
      async tail({ limit, level }) {
        const order = ['debug', 'info', 'warn', 'error'];
        const min = level ? order.indexOf(level) : 0;
        // Read more than asked when filtering by level, so a quiet level still fills the page.
        const lines = await backtest.log.tail(Math.min(10_000, level ? limit * 10 : limit));
        return { lines: lines.filter((l) => order.indexOf(l.level) >= min).slice(-limit) };
      },
    },
    spool: {
      buffering() {
        const status = bound?.live.spoolStatus();
        if (!status) return { buffering: 0 };
        const buffering = status.pending + bound!.runStore.held;
        return { buffering, ...(status.oldestAt !== undefined ? { oldestAt: status.oldestAt } : {}) };
      },
      async flush() {
        if (!bound) return;
        await bound.live.flushSpool(10_000);
        await bound.runStore.flush();
      },
    },
    async close() {
      await binding;
      await bind(undefined);
      await backtest.close();
    },
  };
}
