import type { ReactElement } from 'react';
import { useConnection } from '../stores/database';
import { useNotifications } from '../stores/notifications';
import { navigate, useRoute, type View } from '../stores/route';
import { Icon } from './icons';

const NAV: Array<{ view: View; label: string }> = [
  { view: 'sessions', label: 'Sessions' },
  { view: 'optimize', label: 'Optimize' },
  { view: 'bots', label: 'Bots' },
  { view: 'candles', label: 'Candles' },
  { view: 'notifications', label: 'Notifications' },
  { view: 'state', label: 'State' },
  { view: 'storage', label: 'Storage' },
  { view: 'logs', label: 'Logs' },
  { view: 'settings', label: 'Settings' },
];

function UnreadBadge(): ReactElement | null {
  const unread = useNotifications((s) => s.unread);
  if (unread === 0) return null;
  return (
    <span className="badge" data-testid="unread-count" aria-label={`${unread} unread`}>
      {unread > 9999 ? '9999+' : unread}
    </span>
  );
}

function DatabaseFoot(): ReactElement {
  const db = useConnection((s) => s.database);
  const transport = useConnection((s) => s.transport);
  const ok = db?.status === 'connected';
  const cls = !db ? '' : ok ? (db.spool.buffering > 0 ? 'warn' : 'ok') : db.status === 'connecting' ? 'warn' : 'bad';
  return (
    <div className="sidebar-foot" data-testid="db-foot">
      <div>
        <span className={`dot ${cls}`} />
        {db ? (ok ? 'Database connected' : `Database ${db.status}`) : 'Database…'}
      </div>
      {db && (
        <div className="faint" title={db.label} style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
          {db.label}
        </div>
      )}
      <div className="faint">{transport.kind === 'connected' ? 'Host connected' : `Host ${transport.kind}`}</div>
    </div>
  );
}

export function Sidebar(): ReactElement {
  const current = useRoute((r) => r.view);
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <div className="brand-mark">B</div>
        Backtest Monitor
      </div>
      {NAV.map((item) => (
        <button
          key={item.view}
          type="button"
          className="nav-item"
          aria-current={current === item.view ? 'page' : undefined}
          data-nav={item.view}
          onClick={() => navigate({ view: item.view })}
        >
          <Icon name={item.view} />
          <span className="label">{item.label}</span>
          {item.view === 'notifications' && <UnreadBadge />}
        </button>
      ))}
      <DatabaseFoot />
    </nav>
  );
}
