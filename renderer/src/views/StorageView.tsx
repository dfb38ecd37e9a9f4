import { useEffect, useRef, type ReactElement } from 'react';
import type { DatabaseStatus } from '../../../shared/contract/channels';
import type { AdapterName as Adapter } from '../../../shared/contract/domain';
import { call } from '../api/client';
import { refreshDatabase } from '../api/session';
import { withCommands } from '../components/Banner';
import { Icon } from '../components/icons';
import { Empty, ErrorState, Loading, Panel } from '../components/states';
import { formatAgo, formatInt, maskUri } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { useCandleProgress } from '../stores/candle-progress';
import { migrationNotice, useConnection } from '../stores/database';
import { useNotifications } from '../stores/notifications';
import { useRuns } from '../stores/runs';

/** Counts refresh at most this often while imports, runs and notifications keep writing. */
const COUNTS_EVERY_MS = 1500;

/**
 * Anything that writes documents (an import or download step, a run's signal or status, a
 * notification) asks for fresh counts; a burst of events costs one request per COUNTS_EVERY_MS.
 */
function useCountsFollowWrites(onNews: () => void): void {
  const runs = useRuns((s) => Object.values(s.versions).reduce((a, b) => a + b, 0) + Object.keys(s.byId).length);
  const candles = useCandleProgress((s) => Object.values(s.byOperation).map((p) => (p ? `${p.operation}:${p.symbol}:${p.count}` : '')).join('|'));
  const notes = useNotifications((s) => s.items.length);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const first = useRef(true);
  useEffect(() => {
    // On opening the view too: what the status event carried at start-up is stale by now.
    const wait = first.current ? 0 : Math.max(0, last.current + COUNTS_EVERY_MS - Date.now());
    first.current = false;
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      last.current = Date.now();
      onNews();
    }, wait);
  }, [runs, candles, notes]);
  useEffect(() => () => clearTimeout(timer.current), []);
}

const SOURCE_LABEL: Record<string, string> = {
  env: 'External (CC_MONGO_CONNECTION_STRING)',
  localhost: 'Local MongoDB on localhost:27017',
  embedded: 'Embedded wire-protocol server',
  custom: 'From Settings',
  none: 'None',
};

function AdapterTag({ adapter }: { adapter: Adapter }): ReactElement {
  const tone = adapter === 'mongodb' ? 'info' : adapter === 'dummy' ? '' : adapter === 'in-memory' ? 'warn' : 'good';
  return <span className={`type-tag ${tone}`}>{adapter}</span>;
}

/** Whether the database still holds documents in the monitor's previous layout, and how to migrate them. */
function MigrationRow({ db }: { db: DatabaseStatus }): ReactElement {
  const notice = migrationNotice(db);
  if (notice) {
    const counts = Object.entries(db.migration?.collections ?? {}).sort(([a], [b]) => a.localeCompare(b));
    return (
      <dd className="down" data-testid="db-migration">
        {notice.title}: {withCommands(notice.detail)}
        <span className="faint"> ({counts.map(([name, n]) => `${name} ${formatInt(n)}`).join(', ')})</span>
      </dd>
    );
  }
  const text = db.status !== 'connected' ? '—' : db.migration ? "@backtest-kit/mongo's (nothing to migrate)" : 'not checked yet';
  return <dd data-testid="db-migration">{text}</dd>;
}

function DatabasePanel(): ReactElement {
  const db = useConnection((s) => s.database);
  if (!db) return <Loading label="Asking the database…" />;
  const ok = db.status === 'connected';
  return (
    <dl className="kv" data-testid="db-status">
      <dt>Status</dt>
      <dd>
        <span className={`dot ${ok ? 'ok' : db.status === 'connecting' ? 'warn' : 'bad'}`} />
        <strong data-testid="db-status-value">{db.status}</strong> <span className="faint">since {formatAgo(db.since)}</span>
      </dd>
      <dt>Database</dt>
      <dd>{SOURCE_LABEL[db.source] ?? db.source}</dd>
      <dt>Server</dt>
      <dd>{db.label}</dd>
      <dt>Connection</dt>
      <dd className="mono">{db.maskedUri ? maskUri(db.maskedUri) : '—'}</dd>
      <dt>Server version</dt>
      <dd>{db.serverVersion ?? '—'}</dd>
      <dt>Round trip</dt>
      <dd className="num" style={{ textAlign: 'left' }}>
        {db.pingMs !== undefined ? `${db.pingMs.toFixed(1)} ms` : '—'}
      </dd>
      <dt>Write spool</dt>
      <dd className={db.spool.buffering > 0 ? 'down' : ''}>{db.spool.buffering > 0 ? `${formatInt(db.spool.buffering)} writes buffered` : 'empty'}</dd>
      <dt>Layout</dt>
      <MigrationRow db={db} />
      {db.reason && (
        <>
          <dt>Reason</dt>
          <dd className="down">{db.reason}</dd>
        </>
      )}
      {db.hint && (
        <>
          <dt>How to fix</dt>
          <dd className="mono">{db.hint}</dd>
        </>
      )}
    </dl>
  );
}

function CollectionsPanel(): ReactElement {
  const collections = useConnection((s) => s.database?.collections);
  if (!collections) return <Empty title="No collection counts">They appear once the database is connected.</Empty>;
  if (collections.length === 0) return <Empty title="No collections yet">Import candles or start a live run to create them.</Empty>;
  return (
    <table className="data" data-testid="collections">
      <thead>
        <tr>
          <th>Collection</th>
          <th className="num">Documents</th>
        </tr>
      </thead>
      <tbody>
        {[...collections]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((c) => (
            <tr key={c.name}>
              <td className="mono">{c.name}</td>
              <td className="num">{formatInt(c.count)}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

export function StorageView(): ReactElement {
  const matrix = useAsync(() => call('matrix.get', {}), []);
  const runCount = useRuns((s) => Object.keys(s.byId).length);
  useCountsFollowWrites(() => void refreshDatabase());
  // A new run adds its column to the matrix.
  const seenRuns = useRef(runCount);
  useEffect(() => {
    if (seenRuns.current !== runCount) {
      seenRuns.current = runCount;
      matrix.reload();
    }
  }, [runCount]);
  return (
    <div className="page" data-testid="storage-view">
      <div className="page-head">
        <h1>Storage</h1>
        <span className="sub">Where each subsystem keeps its data, and the database behind it</span>
        <div className="spacer" />
        <button
          type="button"
          className="btn"
          onClick={() => {
            matrix.reload();
            void refreshDatabase();
          }}
        >
          <Icon name="refresh" size={14} /> Refresh
        </button>
      </div>
      <Panel title="Adapter matrix" flush testId="adapter-matrix">
        {matrix.status === 'loading' ? (
          <Loading label="Loading the adapter matrix…" />
        ) : matrix.status === 'error' ? (
          <ErrorState title="Cannot read the adapter matrix" error={matrix.error} onRetry={matrix.reload} />
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th>Subsystem</th>
                <th>Live</th>
                <th>Backtest</th>
                {matrix.data.runs.map((r) => (
                  <th key={r.runId} title={r.runId}>
                    Run {r.runId.slice(0, 8)} <span className="faint">({r.kind})</span>
                  </th>
                ))}
                <th>Holds</th>
              </tr>
            </thead>
            <tbody>
              {matrix.data.rows.map((row) => (
                <tr key={row.subsystem}>
                  <td style={{ fontWeight: 600, textTransform: 'capitalize' }}>{row.subsystem}</td>
                  <td>
                    <AdapterTag adapter={row.live} />
                  </td>
                  <td>
                    <AdapterTag adapter={row.backtest} />
                  </td>
                  {matrix.data.runs.map((r) => (
                    <td key={r.runId}>
                      <AdapterTag adapter={r.mode === 'live' ? row.live : row.backtest} />
                    </td>
                  ))}
                  <td className="dim">{row.holds}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <div className="grid-2" style={{ alignItems: 'start' }}>
        <Panel title="Database connection">
          <DatabasePanel />
        </Panel>
        <Panel title="Documents per collection" flush>
          <CollectionsPanel />
        </Panel>
      </div>
    </div>
  );
}
