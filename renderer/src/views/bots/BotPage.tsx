import { useState, type ReactElement, type ReactNode } from 'react';
import { botKeyFromId, type BotDetail, type BotRecord } from '../../../../shared/contract/bots';
import type { Notification } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { Icon } from '../../components/icons';
import { ErrorState, Loading, Panel } from '../../components/states';
import { formatAgo, formatInt, formatPercent, formatPrice, formatTime, signClass } from '../../lib/format';
import { useBots } from '../../stores/bots';
import { markNotificationsRead } from '../../stores/notifications';
import { navigate } from '../../stores/route';
import { KeyValues, formatValue } from '../notifications/KeyValues';
import { NotificationDetails, notificationText } from '../notifications/NotificationDetails';
import { tone } from '../notifications/NotificationRow';
import { BotStatePill, WatchBadge } from './BotsList';

function None({ children }: { children: ReactNode }): ReactElement {
  return <span className="faint">{children}</span>;
}

/** A value a bot stored (session, state, memory data): labelled fields when it is a record. */
function Value({ value }: { value: unknown }): ReactElement {
  if (value && typeof value === 'object' && !Array.isArray(value)) return <KeyValues data={value as Record<string, unknown>} />;
  if (Array.isArray(value)) return <KeyValues data={Object.fromEntries(value.map((v, i) => [String(i + 1), v]))} />;
  const { text, className } = formatValue('value', value);
  return <span className={className}>{text}</span>;
}

/** Dropped from the position panels: shown in the summary above, or internal bookkeeping. */
const POSITION_OMIT = ['symbol', 'strategyName', 'exchangeName', 'frameName'];

function SummaryStats({ d }: { d: BotDetail }): ReactElement {
  const s = d.summary;
  const pnl = s.livePnl;
  const items: Array<[string, ReactNode, string?]> = [
    ['Status', <BotStatePill key="s" bot={s} />],
    ['Position', s.position ? `${s.position.position} @ ${formatPrice(s.position.priceOpen)}` : '—'],
    ['Take profit', s.position ? formatPrice(s.position.priceTakeProfit) : '—'],
    ['Stop loss', s.position ? formatPrice(s.position.priceStopLoss) : '—'],
    ['Live PnL', pnl ? formatPercent(pnl.pnlPercentage) : '—', signClass(pnl?.pnlPercentage)],
    [
      'Price',
      pnl ? (
        <>
          {formatPrice(pnl.priceClose)}
          <div className="faint" style={{ fontSize: 11, fontWeight: 400 }}>
            {pnl.interval} candle {formatTime(pnl.candleTimestamp)}
          </div>
        </>
      ) : (
        '—'
      ),
    ],
    ['Closed signals', formatInt(d.stats.closed)],
    ['Last write', s.lastActivity ? formatAgo(s.lastActivity) : '—'],
  ];
  return (
    <div className="stats" data-testid="bot-summary" style={{ gridTemplateColumns: 'repeat(4, minmax(0, 1fr))' }}>
      {items.map(([k, v, cls]) => (
        <div className="stat" key={k}>
          <div className="k">{k}</div>
          <div className={`v ${cls ?? ''}`} data-testid={`bot-stat-${k.toLowerCase().replace(/\s+/g, '-')}`}>
            {v}
          </div>
        </div>
      ))}
    </div>
  );
}

function RecordPanel({ title, record, empty, testId, omit }: { title: string; record: BotRecord | null; empty: string; testId: string; omit?: readonly string[] }): ReactElement {
  return (
    <Panel title={title} testId={testId}>
      {record ? <KeyValues data={record} omit={omit} /> : <None>{empty}</None>}
    </Panel>
  );
}

function StatusPanel({ status }: { status: BotRecord | null }): ReactElement {
  if (!status) {
    return (
      <Panel title="Strategy status" testId="bot-status">
        <None>No strategy-items document: the bot has not saved its status (pause flag, commit queue, retries).</None>
      </Panel>
    );
  }
  const queue = Array.isArray(status.commitQueue) ? status.commitQueue : [];
  return (
    <Panel title="Strategy status" testId="bot-status" actions={<span className="faint">strategy-items</span>}>
      <KeyValues
        data={{
          paused: status.isPaused,
          commitQueue: queue.length === 0 ? '(empty)' : queue,
          retryOpenCount: status.retryOpenCount,
          retryCloseCount: status.retryCloseCount,
          pendingSignalId: status.pendingSignalId,
          lastPendingId: status.lastPendingId,
        }}
      />
      <details style={{ marginTop: 10 }}>
        <summary className="faint">All status fields</summary>
        <KeyValues data={status} />
      </details>
    </Panel>
  );
}

function ListPanel<T>({ title, rows, empty, testId, label, body, source }: { title: string; rows: T[]; empty: string; testId: string; label(row: T): string; body(row: T): ReactNode; source: string }): ReactElement {
  return (
    <Panel title={`${title} (${rows.length})`} testId={testId} actions={<span className="faint">{source}</span>}>
      {rows.length === 0 ? (
        <None>{empty}</None>
      ) : (
        <div style={{ display: 'grid', gap: 12 }}>
          {rows.map((row, i) => (
            <div key={i}>
              <div className="mono dim" style={{ fontSize: 11.5, marginBottom: 4 }}>
                {label(row)}
              </div>
              {body(row)}
            </div>
          ))}
        </div>
      )}
    </Panel>
  );
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const pnlOf = (row: BotRecord): number | undefined => num((row.pnl as Record<string, unknown> | undefined)?.pnlPercentage);

function SignalsPanel({ d }: { d: BotDetail }): ReactElement {
  const st = d.stats;
  const stats: Array<[string, string, string?]> = [
    ['Closed', formatInt(st.closed)],
    ['Win rate', st.winRate === undefined ? '—' : formatPercent(st.winRate, 1, false)],
    ['Total PnL', formatPercent(st.totalPnlPercent), signClass(st.totalPnlPercent)],
    ['Average', st.avgPnlPercent === undefined ? '—' : formatPercent(st.avgPnlPercent), signClass(st.avgPnlPercent)],
    ['Best', st.bestPnlPercent === undefined ? '—' : formatPercent(st.bestPnlPercent), 'up'],
    ['Worst', st.worstPnlPercent === undefined ? '—' : formatPercent(st.worstPnlPercent), 'down'],
    ['Profit factor', st.profitFactor === undefined ? '—' : st.profitFactor.toFixed(2)],
    ['Cancelled', formatInt(st.cancelled)],
  ];
  return (
    <Panel title={`Signals (${formatInt(d.signalsTotal)})`} testId="bot-signals" actions={<span className="faint">storage-items{d.signals.length < d.signalsTotal ? ` · newest ${d.signals.length}` : ''}</span>}>
      <div className="stats" data-testid="bot-stats" style={{ marginBottom: 12 }}>
        {stats.map(([k, v, cls]) => (
          <div className="stat" key={k}>
            <div className="k">{k}</div>
            <div className={`v ${cls ?? ''}`}>{v}</div>
          </div>
        ))}
      </div>
      {d.signals.length < d.signalsTotal && (
        <p className="faint" style={{ margin: '0 0 10px' }} data-testid="bot-stats-scope">
          Statistics over the newest {formatInt(d.signals.length)} of {formatInt(d.signalsTotal)} signals.
        </p>
      )}
      {Object.keys(st.byCloseReason).length > 0 && (
        <p className="dim" style={{ margin: '0 0 10px' }}>
          By close reason: {Object.entries(st.byCloseReason).map(([r, n]) => `${r.replace(/_/g, ' ')} ${n}`).join(' · ')}
        </p>
      )}
      {d.signals.length === 0 ? (
        <None>No signals in Storage: the bot keeps none, or has not enabled Storage.</None>
      ) : (
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th>Signal</th>
                <th>Status</th>
                <th>Side</th>
                <th>Entry</th>
                <th>Close</th>
                <th>PnL</th>
                <th>Reason</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {d.signals.map((row, i) => {
                const pnl = pnlOf(row);
                return (
                  <tr key={String(row.id ?? i)} data-testid="bot-signal-row">
                    <td className="mono">{String(row.id ?? '').slice(0, 8)}</td>
                    <td>{String(row.status ?? '—')}</td>
                    <td>{String(row.position ?? '—')}</td>
                    <td className="num">{formatPrice(num(row.priceOpen))}</td>
                    <td className="num">{formatPrice(num((row.pnl as Record<string, unknown> | undefined)?.priceClose))}</td>
                    <td className={`num ${signClass(pnl)}`}>{pnl === undefined ? '—' : formatPercent(pnl)}</td>
                    <td>{String(row.closeReason ?? row.cancelReason ?? '—').replace(/_/g, ' ')}</td>
                    <td className="dim">{formatTime(num(row.updatedAt) ?? num(row.createdAt))}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

function NotificationItem({ n }: { n: Notification }): ReactElement {
  const [open, setOpen] = useState(false);
  const { title, message } = notificationText(n);
  const toggle = (): void => {
    setOpen(!open);
    if (!n.read) void markNotificationsRead([n.notificationId], (request) => call('notifications.markRead', request));
  };
  return (
    <li data-testid="bot-notification" data-type={n.type} data-id={n.notificationId} style={{ borderBottom: '1px solid var(--border)', padding: '8px 0' }}>
      <button type="button" className="link" onClick={toggle} aria-expanded={open} style={{ display: 'flex', gap: 10, alignItems: 'baseline', width: '100%', textAlign: 'left' }}>
        <span className="num dim">{formatTime(n.createdAt, true)}</span>
        <span className={`type-tag ${tone(n.type, n.data)}`}>{n.type}</span>
        <strong style={{ fontWeight: 600 }}>{title}</strong>
        <span className="dim">{message}</span>
      </button>
      {open && (
        <div style={{ padding: '10px 0 4px 12px' }}>
          <NotificationDetails n={n} />
        </div>
      )}
    </li>
  );
}

function BotDetailBody({ d }: { d: BotDetail }): ReactElement {
  return (
    <>
      <SummaryStats d={d} />
      <div className="grid-2">
        <RecordPanel title="Open position" record={d.signal} empty="No open position (signal-items)." testId="bot-signal" omit={POSITION_OMIT} />
        <RecordPanel title="Scheduled signal" record={d.scheduled} empty="No scheduled signal (schedule-items)." testId="bot-scheduled" omit={POSITION_OMIT} />
        <StatusPanel status={d.status} />
        <ListPanel
          title="Risk positions"
          rows={d.risk}
          empty="No risk-items position of this strategy and symbol."
          testId="bot-risk"
          source="risk-items"
          label={(r) => `${r.riskName} · ${r.exchangeName}${r.updatedAt ? ` · ${formatAgo(r.updatedAt)}` : ''}`}
          body={(r) => <Value value={r.positions} />}
        />
        <ListPanel
          title="Partial levels"
          rows={d.partials}
          empty="No partial profit/loss levels reached (partial-items)."
          testId="bot-partials"
          source="partial-items"
          label={(r) => `signal ${r.signalId}`}
          body={(r) => <Value value={r.value} />}
        />
        <ListPanel
          title="Breakeven"
          rows={d.breakevens}
          empty="No breakeven state (breakeven-items)."
          testId="bot-breakevens"
          source="breakeven-items"
          label={(r) => `signal ${r.signalId}`}
          body={(r) => <Value value={r.value} />}
        />
        <Panel title="Session" testId="bot-session" actions={<span className="faint">session-items</span>}>
          {d.session ? (
            <>
              <Value value={d.session.value} />
              <p className="faint" style={{ margin: '8px 0 0', fontSize: 11.5 }}>
                {d.session.when !== undefined ? `bot time ${formatTime(d.session.when)}` : ''}
                {d.session.updatedAt ? ` · written ${formatAgo(d.session.updatedAt)}` : ''}
              </p>
            </>
          ) : (
            <None>No session data.</None>
          )}
        </Panel>
        <RecordPanel title="Recent signal" record={d.recent} empty="No recent signal (recent-items)." testId="bot-recent" omit={POSITION_OMIT} />
        <ListPanel
          title="State"
          rows={d.state}
          empty="No state of this bot's signals (state-items)."
          testId="bot-state-items"
          source="state-items"
          label={(r) => `${r.bucketName} · signal ${r.signalId}`}
          body={(r) => <Value value={r.value} />}
        />
        <ListPanel
          title="Memory"
          rows={d.memory}
          empty="No memory of this bot's signals (memory-items)."
          testId="bot-memory"
          source="memory-items"
          label={(r) => `${r.bucketName} · ${r.memoryId}${r.index ? ` · ${r.index}` : ''}${r.removed ? ' · removed' : ''}`}
          body={(r) => <Value value={r.value} />}
        />
      </div>
      <SignalsPanel d={d} />
      <Panel title={`Notifications (${d.notifications.length})`} testId="bot-notifications" actions={<span className="faint">notification-items · newest first</span>}>
        {d.notifications.length === 0 ? (
          <None>No notifications stored: a bot persists them only after NotificationLive.usePersist().</None>
        ) : (
          <ul style={{ listStyle: 'none', margin: 0, padding: 0 }}>
            {d.notifications.map((n) => (
              <NotificationItem key={n.notificationId} n={n} />
            ))}
          </ul>
        )}
      </Panel>
    </>
  );
}

export function BotPage({ botId, onRetry }: { botId: string; onRetry(): void }): ReactElement {
  const detail = useBots((s) => (s.openId === botId ? s.detail : undefined));
  const loaded = useBots((s) => s.openId === botId && s.detailLoaded);
  const error = useBots((s) => (s.openId === botId ? s.detailError : undefined));
  const watch = useBots((s) => s.watch);
  const key = botKeyFromId(botId);
  return (
    <div className="page" data-testid="bot-page" data-bot-id={botId}>
      <div className="page-head">
        <button type="button" className="btn small" onClick={() => navigate({ view: 'bots' })} aria-label="Back to all bots">
          <Icon name="back" size={14} /> Bots
        </button>
        <h1>{key ? `${key.strategyName} · ${key.symbol}` : 'Bot'}</h1>
        {key && (
          <span className="sub">
            {key.exchangeName}
            {key.frameName ? ` · ${key.frameName}` : ''} · {key.mode}
          </span>
        )}
        <div className="spacer" />
        <WatchBadge watch={watch} />
      </div>
      {!key ? (
        <ErrorState title="Not a bot address" error={`"${botId}" does not name a bot; open one from the list.`} />
      ) : !loaded ? (
        <Loading label="Reading the bot's documents…" />
      ) : error && !detail ? (
        <ErrorState title="Cannot read this bot" error={error} onRetry={onRetry} />
      ) : detail ? (
        <>
          {error && (
            <div className="result bad" role="alert">
              Showing the last read: {error}
            </div>
          )}
          <BotDetailBody d={detail} />
        </>
      ) : (
        <Loading label="Reading the bot's documents…" />
      )}
    </div>
  );
}
