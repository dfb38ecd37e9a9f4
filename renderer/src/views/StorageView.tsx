import type { ReactElement } from 'react';
import type { AdapterName as Adapter } from '../../../shared/contract/domain';
import { call } from '../api/client';
import { refreshDatabase } from '../api/session';
import { Icon } from '../components/icons';
import { Empty, ErrorState, Loading, Panel } from '../components/states';
import { formatAgo, formatInt, maskUri } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { useConnection } from '../stores/database';

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
