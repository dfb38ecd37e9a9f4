import { connectBackend } from '../../../shared/contract/connect';
import type { EventEnvelope, EventName, EventPayload } from '../../../shared/contract/events';
import { createFrameBatcher } from '../lib/frame-batcher';
import { useCandleProgress } from '../stores/candle-progress';
import { useConnection } from '../stores/database';
import { useLogs } from '../stores/logs';
import { useNotifications } from '../stores/notifications';
import { isView, navigate } from '../stores/route';
import { useRuns } from '../stores/runs';
import { useSettings } from '../stores/settings';
import { call, errorMessage, setBackend } from './client';

type Grouped = { [E in EventName]?: EventPayload<E>[] };

function groupByEvent(batch: EventEnvelope[]): Grouped {
  const out: Record<string, unknown[]> = {};
  for (const envelope of batch) (out[envelope.event] ??= []).push(envelope.payload);
  return out as Grouped;
}

/** One store update per domain per animation frame, whatever the event rate. */
function applyFrame(batch: EventEnvelope[]): void {
  const g = groupByEvent(batch);
  if (g['run.progress']) useRuns.getState().applyProgress(g['run.progress']);
  const runEvents = g['run.event'];
  if (runEvents) {
    useRuns.getState().applyEvents(runEvents);
    // A run we do not know yet has started: list again to get its summary.
    const known = useRuns.getState().byId;
    if (runEvents.some((e) => !known[e.runId])) void refreshRuns();
  }
  if (g['candles.progress']) useCandleProgress.getState().apply(g['candles.progress']);
  if (g.notification) useNotifications.getState().applyLive(g.notification);
  const unread = g['notifications.unread']?.at(-1);
  if (unread) useNotifications.getState().setUnread(unread.count);
  const db = g['database.status']?.at(-1);
  if (db) useConnection.getState().setDatabase(db);
  if (g['log.line']) useLogs.getState().applyLive(g['log.line']);
  const go = g['app.navigate']?.at(-1);
  if (go) {
    const view = go.view.toLowerCase();
    if (isView(view)) navigate({ view, runId: go.runId });
  }
}

let runsRequested = 0;

/**
 * Lists the runs again. Only the newest request's answer is applied: the host answers a list once
 * the writes in flight have settled, so an older request can be answered after a newer one, with a
 * run still "running" that the newer answer (and the status event before it) showed completed.
 */
export async function refreshRuns(): Promise<void> {
  const request = ++runsRequested;
  try {
    const { runs } = await call('runs.list', {});
    if (request === runsRequested) useRuns.getState().reset(runs);
  } catch (error) {
    if (request === runsRequested) useRuns.getState().setError(errorMessage(error));
  }
}

export async function refreshNotifications(): Promise<void> {
  const store = useNotifications.getState();
  const { types, symbol, runId } = store.filters;
  try {
    const [page, unread] = await Promise.all([
      call('notifications.list', { limit: 500, types: types.length ? types : undefined, symbol, runId }),
      call('notifications.unreadCount', {}),
    ]);
    useNotifications.getState().reset(page.items, page.hasMore, unread.count);
  } catch (error) {
    useNotifications.getState().setError(errorMessage(error));
  }
}

export async function refreshDatabase(): Promise<void> {
  try {
    useConnection.getState().setDatabase(await call('database.status', {}));
  } catch {
    /* the status event stream will tell us */
  }
}

async function refreshSettings(): Promise<void> {
  try {
    useSettings.getState().setSettings(await call('settings.get', {}));
  } catch {
    /* Settings view shows its own error */
  }
}

async function refreshAll(): Promise<void> {
  await Promise.all([refreshRuns(), refreshNotifications(), refreshDatabase(), refreshSettings()]);
}

let started = false;

export function startBackend(): void {
  if (started) return;
  started = true;
  const backend = connectBackend();
  setBackend(backend);
  const batcher = createFrameBatcher<EventEnvelope>(applyFrame);
  backend.onBatch((events) => batcher.pushMany(events));
  let wasDown = false;
  backend.onTransportState((state) => {
    useConnection.getState().setTransport(state);
    if (state.kind !== 'connected') wasDown = true;
    else if (wasDown || state.lostEvents) {
      // Resumed: the host replays what we missed; when it could not (lostEvents), or after any
      // reconnect to be safe, the lists are fetched again so nothing is missing.
      wasDown = false;
      void refreshAll();
    }
  });
  void refreshAll();
}
