import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { NOTIFICATION_TYPES, type NotificationType } from '../../../shared/contract/domain';
import { call, errorMessage } from '../api/client';
import { refreshNotifications } from '../api/session';
import { Icon } from '../components/icons';
import { Empty, ErrorState, Loading, Panel } from '../components/states';
import { VirtualList } from '../components/VirtualList';
import { formatInt } from '../lib/format';
import { markNotificationsRead, matchesFilters, useNotifications } from '../stores/notifications';
import { useRuns } from '../stores/runs';
import { NotificationDetails } from './notifications/NotificationDetails';
import { NotificationRow } from './notifications/NotificationRow';

const ROW_HEIGHT = 40;

function useViewportHeight(offset: number): number {
  const [h, setH] = useState(() => (typeof window === 'undefined' ? 600 : window.innerHeight));
  useEffect(() => {
    const on = (): void => setH(window.innerHeight);
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return Math.max(240, h - offset);
}

export function NotificationsView(): ReactElement {
  const items = useNotifications((s) => s.items);
  const unread = useNotifications((s) => s.unread);
  const loaded = useNotifications((s) => s.loaded);
  const error = useNotifications((s) => s.error);
  const hasMore = useNotifications((s) => s.hasMore);
  const filters = useNotifications((s) => s.filters);
  const runs = useRuns((s) => s.byId);
  const [loadingMore, setLoadingMore] = useState(false);
  const [actionError, setActionError] = useState<string>();
  const markError = useNotifications((s) => s.actionError);
  const selectedId = useNotifications((s) => s.selectedId);
  const selected = useMemo(() => (selectedId ? items.find((n) => n.notificationId === selectedId) : undefined), [items, selectedId]);
  const height = useViewportHeight(250);

  const visible = useMemo(() => items.filter((n) => matchesFilters(n, filters)), [items, filters]);
  const symbols = useMemo(() => [...new Set(items.map((n) => n.symbol).filter((s): s is string => !!s))].sort(), [items]);

  // Filters narrow the server query too, so older matching notifications can be paged in.
  const filterKey = JSON.stringify(filters);
  useEffect(() => {
    void refreshNotifications();
  }, [filterKey]);

  const loadOlder = (): void => {
    const last = items[items.length - 1];
    if (!hasMore || loadingMore || !last) return;
    setLoadingMore(true);
    const { types, symbol, runId } = filters;
    // Offset paging: live arrivals shift the offset a little; duplicates are dropped by the store.
    call('notifications.list', { limit: 500, offset: items.length, types: types.length ? types : undefined, symbol, runId })
      .then((page) => useNotifications.getState().appendOlder(page.items, page.hasMore))
      .catch((err: unknown) => setActionError(errorMessage(err)))
      .finally(() => setLoadingMore(false));
  };

  const markAll = (): void => {
    void markNotificationsRead('all', (request) => call('notifications.markRead', request));
  };

  const setType = (type: string): void => {
    useNotifications.getState().setFilters({ types: type ? [type as NotificationType] : [] });
  };

  return (
    <div className="page" data-testid="notifications-view">
      <div className="page-head">
        <h1>Notifications</h1>
        <span className="sub" data-testid="notifications-summary">
          {formatInt(unread)} unread · {formatInt(items.length)} loaded
        </span>
        <div className="spacer" />
        <button type="button" className="btn" onClick={markAll} disabled={unread === 0}>
          <Icon name="check" size={14} /> Mark all read
        </button>
      </div>
      <div className="toolbar">
        <label className="field">
          <span>Type</span>
          <select aria-label="Type filter" value={filters.types[0] ?? ''} onChange={(e) => setType(e.target.value)}>
            <option value="">All types</option>
            {NOTIFICATION_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Symbol</span>
          <select aria-label="Symbol filter" value={filters.symbol ?? ''} onChange={(e) => useNotifications.getState().setFilters({ symbol: e.target.value || undefined })}>
            <option value="">All symbols</option>
            {symbols.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Run</span>
          <select aria-label="Run filter" value={filters.runId ?? ''} onChange={(e) => useNotifications.getState().setFilters({ runId: e.target.value || undefined })}>
            <option value="">All runs</option>
            {Object.values(runs).map((r) => (
              <option key={r.runId} value={r.runId}>
                {r.name ?? r.strategyName} · {r.symbols.join(',')} · {r.runId.slice(0, 8)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {actionError && (
        <div className="result bad" role="alert">
          {actionError}
        </div>
      )}
      {markError && (
        <div className="result bad" role="alert" data-testid="mark-read-error">
          {markError}{' '}
          <button type="button" className="btn small" onClick={() => useNotifications.getState().setActionError(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      <Panel flush>
        {!loaded ? (
          <Loading label="Loading notifications…" />
        ) : error && items.length === 0 ? (
          <ErrorState title="Cannot load notifications" error={error} onRetry={() => void refreshNotifications()} />
        ) : visible.length === 0 ? (
          <Empty title={items.length === 0 ? 'No notifications yet' : 'Nothing matches these filters'}>
            {items.length === 0 ? 'Start a paper replay or a live run in Sessions, or point the monitor at your bot’s CC_MONGO_CONNECTION_STRING: signals, errors and run events appear here live.' : 'Clear a filter to see more.'}
          </Empty>
        ) : (
          <VirtualList items={visible} rowHeight={ROW_HEIGHT} height={height} rowKey={(n) => n.notificationId} renderRow={(n) => <NotificationRow n={n} />} onEndReached={loadOlder} testId="notification-feed" />
        )}
      </Panel>
      {selected && (
        <Panel
          title="Details"
          testId="notification-detail-panel"
          actions={
            <button type="button" className="btn small" onClick={() => useNotifications.getState().select(undefined)}>
              Close
            </button>
          }
        >
          <NotificationDetails n={selected} />
        </Panel>
      )}
    </div>
  );
}
