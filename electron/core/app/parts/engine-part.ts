import { join } from 'node:path';
import type { Notification } from '../../../../shared/domain/notifications';
import { FINAL_RUN_STATUSES, type RunDetail, type RunEvent, type RunKind, type RunSummary } from '../../../../shared/domain/runs';
import type { SignalRow } from '../../../../shared/domain/signals';
import { ContractFailure } from '../../../../shared/contract/result';
import type { ConnectionManager } from '../../db/connection-manager';
import { RunConflictError, RunManager, RunManagerClosedError, RunNotFoundError, RunRequestError } from '../../engine/run-manager';
import { removeRunData } from '../../engine/run-history';
import { RunDbService, type StoredRun } from '../../engine/run-store';
import { StrategyCatalog } from '../../engine/strategy-catalog';
import { BUILTIN_STRATEGIES } from '../../strategies';
import { CandleStore } from '../../market/candle-store';
import { createPersistence, matrixTable, persistConfigFromEnv, type Persistence } from '../../persist';
import { LIST_LIMIT_MAX } from '../../persist/contract';
import { isOutageError } from '../../persist/outage-errors';
import { OutageTolerantRunStore } from './outage-tolerant-run-store';
import type { CoreParts, Emit } from '../ports';
import { unreadPublisher } from '../unread-publisher';
import type { PartLog } from '../app-log';
import { countOf } from '../../../../shared/contract/notification-text';

const runSubject = (runId: string) => ({ kind: 'run' as const, runId });

export interface EnginePartOptions {
  dataDir: string;
  strategiesDir?: () => string | undefined;
  emit: Emit;
  log: PartLog;
  /** REST base URL live runs poll instead of the exchange's own (a proxy, a mirror, the fake exchange in tests). */
  exchangeApiUrl?: string;
}

interface Bound {
  manager: ConnectionManager;
  live: Persistence;
  runs: RunManager;
  runStore: OutageTolerantRunStore;
}

const text = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The run engine's errors as contract answers; anything else is the app's fault and is logged. */
function contractError(error: unknown, what: string, log: EnginePartOptions['log'], runId?: string): ContractFailure {
  if (error instanceof ContractFailure) return error;
  if (error instanceof RunRequestError) return new ContractFailure('invalid_payload', error.message, error.issues);
  if (error instanceof RunNotFoundError) return new ContractFailure('not_found', error.message);
  if (error instanceof RunConflictError) return new ContractFailure('conflict', error.message);
  if (error instanceof RunManagerClosedError) return new ContractFailure('unavailable', error.message);
  if (isOutageError(error)) return new ContractFailure('unavailable', `${what}: MongoDB is unreachable (${text(error)}); try again once it answers`);
  log('error', `${what} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, runId ? runSubject(runId) : undefined);
  return new ContractFailure('internal', `${what} failed: ${text(error)}`);
}

/** Reads every page of a key-value store (LIST_LIMIT_MAX each) and keeps the entries `keep` selects. */
async function listEvery<K, V>(
  store: { list(query: { offset: number; limit: number }): Promise<{ items: Array<{ key: K; value: V }>; total: number }> },
  keep: (key: K) => boolean,
): Promise<Array<{ key: K; value: V }>> {
  const out: Array<{ key: K; value: V }> = [];
  for (let offset = 0; ; offset += LIST_LIMIT_MAX) {
    const page = await store.list({ offset, limit: LIST_LIMIT_MAX });
    for (const e of page.items) if (keep(e.key)) out.push(e);
    if (page.items.length < LIST_LIMIT_MAX || offset + LIST_LIMIT_MAX >= page.total) return out;
  }
}

/**
 * Runs, strategies, notifications, run state, the adapter matrix and the outage spool, over the
 * engine's RunManager and the persistence layer. Backtest persistence needs no database; live
 * persistence, the candle store and so the run manager are (re)built whenever the database changes.
 *
 * A paper/live run belongs to the database it writes to: on a switch it is left `running` there
 * (everything it wrote flushed first) and resumes when that database is connected again; the switch
 * says so in the log and the inbox. A backtest in progress fails, saying why.
 */
export async function createEnginePart(options: EnginePartOptions): Promise<CoreParts> {
  // The matrix file named by BACKTEST_MONITOR_PERSIST_CONFIG (if any) is read and validated once, at start.
  const config = persistConfigFromEnv();
  const backtest = await createPersistence({ mode: 'backtest', dataDir: options.dataDir, config });
  let bound: Bound | undefined;
  let binding: Promise<void> = Promise.resolve();
  const catalog = (): StrategyCatalog => bound?.runs.strategies ?? new StrategyCatalog({ userDir: options.strategiesDir?.(), builtins: BUILTIN_STRATEGIES });

  // Rename and delete act on the run store; the run manager keeps the runs of this session in
  // memory (the newest finished one with its rows), so what the user changed is laid over those here.
  const names = new Map<string, string>();
  const deleted = new Set<string>();
  const named = <T extends RunSummary>(run: T): T => (names.has(run.runId) ? { ...run, name: names.get(run.runId)! } : run);
  const notDeleted = (runId: string): void => {
    if (deleted.has(runId)) throw new ContractFailure('not_found', `no run with id ${runId} (it was deleted)`);
  };

  const runs = (): RunManager => {
    if (!bound) throw new ContractFailure('unavailable', 'runs read their candles from the database, and none is connected (see the database status)');
    return bound.runs;
  };
  const persistences = (): Persistence[] => (bound ? [bound.live, backtest] : [backtest]);
  const persistenceOf = (kind: RunKind): Persistence => {
    if (kind === 'backtest') return backtest;
    if (!bound) throw new ContractFailure('unavailable', 'paper/live runs keep their state in MongoDB, and none is connected (see the database status)');
    return bound.live;
  };

  // During a burst of run notifications the badge follows the inboxes' tracked counts (no database
  // count per batch); an exact recount follows once the burst settles (see unread-publisher.ts).
  const publishUnread = unreadPublisher(
    unreadCount,
    (count) => options.emit('notifications.unread', { count }),
    (error: unknown) => options.log('warn', `could not recount unread notifications: ${text(error)}`),
  );

  const forward = (event: RunEvent): void => {
    if (event.type === 'progress') {
      const { type: _type, ...progress } = event;
      options.emit('run.progress', progress);
      return;
    }
    options.emit('run.event', event);
    if (event.type === 'status' && (FINAL_RUN_STATUSES as readonly string[]).includes(event.status) && names.has(event.runId)) {
      // A backtest is stored only once it ends (its record is written after this event; `stored`
      // waits for it): a name given while it ran goes there then.
      const name = names.get(event.runId)!;
      const b = bound;
      void b?.runs
        .stored(event.runId)
        .then(() => b.runStore.rename(event.runId, name))
        .catch((error: unknown) => options.log('warn', `could not store the name of run ${event.runId}: ${text(error)}`, runSubject(event.runId)));
    }
    if (event.type === 'notification') {
      options.emit('notification', event.notification);
      publishUnread();
    }
  };

  /**
   * Reads every inbox (live and backtest), skipping the live one while MongoDB is unreachable so
   * the feed keeps working from events and the backtest inbox; `partial` says what was skipped.
   */
  async function fromInboxes<T>(read: (p: Persistence) => Promise<T>): Promise<{ results: T[]; partial?: string }> {
    const inboxes = persistences();
    const settled = await Promise.allSettled(inboxes.map(read));
    const results: T[] = [];
    let partial: string | undefined;
    settled.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return void results.push(outcome.value);
      const error = outcome.reason as unknown;
      if (!isOutageError(error)) throw error;
      partial = `the ${inboxes[i]!.mode} inbox is unavailable while MongoDB is unreachable`;
    });
    return partial ? { results, partial } : { results };
  }

  /**
   * Every inbox's unread count: `tracked` kept by each inbox between its exact counts (see
   * NotificationService). An inbox that cannot count while MongoDB is unreachable answers with
   * its tracked count if it has one (what it knew plus what it spooled), so the badge does not
   * drop the live inbox between two tracked answers; with none it is skipped, as before.
   */
  async function unreadCount(how: 'tracked' | 'exact' = 'exact'): Promise<number> {
    const exact = (p: Persistence): Promise<number> => p.notifications.unreadCount().catch((error: unknown) => (isOutageError(error) ? p.notifications.trackedUnreadCount() : Promise.reject(error)));
    const { results } = await fromInboxes((p) => (how === 'tracked' ? p.notifications.trackedUnreadCount() : exact(p)));
    return results.reduce((a, b) => a + b, 0);
  }

  /** Tells the user (log and inbox) that the switch paused these paper/live runs. */
  async function reportPaused(paused: RunSummary[], oldLabel: string): Promise<void> {
    for (const run of paused) {
      const message = `${run.kind} run ${run.runId} (${run.strategyName} on ${run.symbols.join(', ')}) was paused by the database switch: it stays in ${oldLabel} and resumes from its last checkpoint when that database is connected again`;
      options.log('warn', message, runSubject(run.runId));
      const notification = {
        notificationId: `${run.runId}:paused:${Date.now()}`,
        type: 'error.info' as const,
        backtest: false,
        runId: run.runId,
        strategyName: run.strategyName,
        title: `Run paused: database switched`,
        message,
        createdAt: Date.now(),
        read: false,
      };
      // Stored first, so the inbox a page lists on seeing it already holds it; shown even if it could not be stored.
      await bound?.live.notifications.append(notification).catch((error: unknown) => options.log('warn', `could not store the pause notice of run ${run.runId}: ${text(error)}`, runSubject(run.runId)));
      options.emit('notification', notification);
    }
  }

  async function unbind(reason: string): Promise<{ held: StoredRun[]; paused: RunSummary[]; label?: string }> {
    const old = bound;
    bound = undefined;
    if (!old) return { held: [], paused: [] };
    const paused = old.runs.list().filter((r) => r.kind !== 'backtest' && (r.status === 'running' || r.status === 'queued'));
    await old.runs.close(reason);
    // Checkpoints held through an outage: written to the old database if it answers now, else handed
    // on (the outage spool replays its buffered writes to whatever database comes next, the same way).
    await old.runStore.flush().catch((error: unknown) => options.log('warn', `writing held run checkpoints to the previous database failed: ${text(error)}`));
    const held = old.runStore.takeHeld();
    old.runStore.dispose();
    await old.live.close();
    return { held, paused, label: old.manager.state.maskedUri };
  }

  async function bind(manager: ConnectionManager | undefined, reason = manager ? 'the database was switched while it ran' : 'the database went away while it ran'): Promise<void> {
    const { held, paused, label } = await unbind(reason);
    if (!manager?.isConnected) {
      for (const run of paused) options.log('warn', `${run.kind} run ${run.runId} stopped with the database (${reason}); it resumes from its last checkpoint when ${label ?? 'that database'} is connected again`, runSubject(run.runId));
      for (const run of held) {
        options.log('error', `run ${run.runId}: its last checkpoint (${run.summary.status}, ${run.summary.processed} candles) could not be written and no database is connected; it resumes from an earlier checkpoint`, runSubject(run.runId));
      }
      return;
    }
    const live = await createPersistence({ mode: 'live', dataDir: options.dataDir, connection: manager, config });
    const runStore = new OutageTolerantRunStore(
      new RunDbService(manager.connection),
      2000,
      (runId, reason) => options.log('warn', `holding run ${runId}'s checkpoint until MongoDB answers again (${reason})`, runSubject(runId)),
      () => manager.isConnected,
    );
    for (const run of held) {
      options.log('warn', `run ${run.runId}: its last checkpoint never reached the previous database; it is written to the new one (with the outage spool's buffered writes)`, runSubject(run.runId));
      await runStore.save(run);
    }
    const runManager = new RunManager({
      candles: new CandleStore(manager.connection),
      cacheDir: join(options.dataDir, 'candle-cache'),
      strategiesDir: options.strategiesDir?.(),
      builtins: BUILTIN_STRATEGIES,
      persistence: { live, backtest },
      runStore,
      log: options.log,
      ...(options.exchangeApiUrl ? { exchangeApiUrl: options.exchangeApiUrl } : {}),
    });
    runManager.on('event', forward);
    bound = { manager, live, runs: runManager, runStore };
    await reportPaused(paused, label ?? 'the previous database');
    const resumed = await runManager.resumeUnfinished().catch((error: unknown) => {
      options.log('warn', `could not resume unfinished runs: ${text(error)}`);
      return [];
    });
    // One line per run, so each links to its page.
    for (const runId of resumed) options.log('info', `resumed paper/live run ${runId} from its last checkpoint`, runSubject(runId));
  }

  /** One page of a run's State or Memory entries (every page of the store is read: nothing is cut off silently). */
  async function entriesOf<K extends { signalId: string }, V>(
    store: { list(query: { offset: number; limit: number }): Promise<{ items: Array<{ key: K; value: V }>; total: number }> },
    signalIds: Set<string>,
    page: { offset: number; limit: number },
  ): Promise<{ items: Array<{ key: K; value: V }>; total: number }> {
    const all = await listEvery(store, (key) => signalIds.has(key.signalId));
    return { items: all.slice(page.offset, page.offset + page.limit), total: all.length };
  }

  return {
    attachDatabase(manager) {
      binding = binding.then(() => bind(manager)).catch((error: unknown) => {
        options.log('error', `the run engine could not start on the database: ${text(error)}`);
      });
      return binding;
    },
    runs: {
      async start(request) {
        try {
          const summary = await runs().start(request);
          return { runId: summary.runId };
        } catch (error) {
          // A refused start leaves no run behind: the log is the only place that says it was asked for.
          if (error instanceof RunRequestError || error instanceof RunConflictError || isOutageError(error)) {
            options.log('warn', `${request.kind} of ${request.strategyName} on ${request.symbols.join(', ')} ${request.interval} was not started: ${text(error)}`);
          }
          throw contractError(error, 'runs.start', options.log);
        }
      },
      async stop({ runId }) {
        try {
          notDeleted(runId);
          return await runs().stop(runId);
        } catch (error) {
          throw contractError(error, 'runs.stop', options.log, runId);
        }
      },
      async list({ status, kind, limit = 200, offset = 0 }) {
        if (!bound) return { runs: [], total: 0, hasMore: false };
        try {
          const page = await bound.runs.listAll({ status, kind, limit, offset });
          // A deleted run this process still holds in memory is not listed (the store has none of it).
          const listed = page.runs.filter((r) => !deleted.has(r.runId)).map(named);
          const total = page.total - (page.runs.length - listed.length);
          return { runs: listed, total, hasMore: offset + page.runs.length < page.total };
        } catch (error) {
          if (!isOutageError(error)) throw contractError(error, 'runs.list', options.log);
          // The history lives in MongoDB; this session's runs are still known here.
          const held = bound.runs.list({ status, kind }).filter((r) => !deleted.has(r.runId)).map(named);
          return { runs: held.slice(offset, offset + limit), total: held.length, hasMore: offset + limit < held.length, partial: 'earlier runs are not listed while MongoDB is unreachable' };
        }
      },
      async get({ runId }) {
        try {
          notDeleted(runId);
          return { run: named(await runs().detail(runId)) };
        } catch (error) {
          throw contractError(error, 'runs.get', options.log, runId);
        }
      },
      async rename({ runId, name }) {
        try {
          notDeleted(runId);
          const manager = runs();
          let stored = await bound!.runStore.rename(runId, name);
          if (!stored && manager.has(runId)) {
            // A backtest that has just ended may still be writing its record (`stored` waits for it);
            // one still running has none yet: its name is written when it ends (see forward).
            const run = await manager.stored(runId);
            if ((FINAL_RUN_STATUSES as readonly string[]).includes(run.status)) stored = await bound!.runStore.rename(runId, name);
          }
          if (!stored && !manager.has(runId)) throw new RunNotFoundError(runId);
          names.set(runId, name);
          options.log('info', `run ${runId} renamed to "${name}"`, runSubject(runId));
          return { runId, name };
        } catch (error) {
          throw contractError(error, 'runs.rename', options.log, runId);
        }
      },
      async delete({ runId }) {
        try {
          notDeleted(runId);
          const manager = runs();
          const run = await manager.detail(runId);
          if (!(FINAL_RUN_STATUSES as readonly string[]).includes(run.status)) {
            throw new ContractFailure('conflict', `the run is ${run.status}: stop it first, then delete it`);
          }
          // Its data first, its record last: a delete that fails half-way leaves the run listed, to be asked again.
          const removed = await removeRunData(run, persistences());
          await bound!.runStore.remove(runId);
          deleted.add(runId);
          names.delete(runId);
          options.log('info', `run ${runId} deleted (${run.kind} ${run.strategyName} on ${run.symbols.join(', ')}): ${countOf(removed.signals, 'signal')}, ${countOf(removed.notifications, 'notification')}, ${removed.stateEntries} State and ${removed.memoryEntries} Memory entries removed`, runSubject(runId));
          publishUnread();
          return { deleted: true, ...removed };
        } catch (error) {
          throw contractError(error, 'runs.delete', options.log, runId);
        }
      },
      async stopAll() {
        if (!bound) return;
        const manager = bound.runs;
        await Promise.all(
          manager.list({ status: 'running' }).map((r) => manager.stop(r.runId).catch((error: unknown) => options.log('error', `stopping run ${r.runId} failed: ${text(error)}`, runSubject(r.runId)))),
        );
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
        const { results: pages, partial: skipped } = await fromInboxes((p) => p.notifications.list(filter, { limit: offset + limit }));
        const merged: Notification[] = pages.flatMap((p) => p.items).sort((a, b) => b.createdAt - a.createdAt);
        const total = pages.reduce((a, p) => a + p.total, 0);
        // An inbox answered from the outage spool alone says so in `incomplete`: that is partial too.
        const notes = [skipped, ...pages.map((p) => p.incomplete)].filter((n): n is string => typeof n === 'string');
        return { items: merged.slice(offset, offset + limit), total, hasMore: offset + limit < total, ...(notes.length ? { partial: notes.join('; ') } : {}) };
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
      async get({ runId, offset = 0, limit = 1000 }) {
        let detail: RunDetail;
        try {
          notDeleted(runId);
          detail = await runs().detail(runId);
        } catch (error) {
          throw contractError(error, 'state.get', options.log);
        }
        const p = persistenceOf(detail.kind);
        const backtestFlag = detail.kind === 'backtest';
        // A backtest's rows are the run's own (its Storage may be in memory and gone after a restart).
        const storage = backtestFlag ? detail.signals : (await p.storage.listSignals({ runId }, { limit: Math.min(p.storage.cap, LIST_LIMIT_MAX) })).items.map((e) => e.value as SignalRow);
        const signalIds = new Set([...storage, ...detail.signals].map((s) => s.signalId));
        const session = [];
        for (const symbol of detail.symbols) {
          const value = await p.session.get({ strategyName: detail.strategyName, exchangeName: detail.exchangeName, frameName: detail.frameName, symbol, backtest: backtestFlag });
          if (value !== null) session.push({ symbol, value });
        }
        const state = await entriesOf(p.state, signalIds, { offset, limit });
        const memory = await entriesOf(p.memory, signalIds, { offset, limit });
        const recent: SignalRow[] = [];
        for (const symbol of detail.symbols) {
          const row = await p.recent.latest({ symbol, strategyName: detail.strategyName, exchangeName: detail.exchangeName, frameName: detail.frameName, backtest: backtestFlag });
          if (row) recent.push(row);
        }
        return {
          runId,
          session,
          state: state.items.map((e) => ({ signalId: e.key.signalId, bucketName: e.key.bucketName, value: e.value })),
          memory: memory.items.map((e) => ({ signalId: e.key.signalId, bucketName: e.key.bucketName, memoryId: e.key.memoryId, value: e.value })),
          stateTotal: state.total,
          memoryTotal: memory.total,
          recent,
          storage,
        };
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
      await bind(undefined, 'the app stopped');
      await backtest.close();
    },
  };
}
