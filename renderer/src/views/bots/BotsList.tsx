import { useMemo, useState, type ReactElement } from 'react';
import { botIdOf, type BotSummary, type BotWatch } from '../../../../shared/contract/bots';
import { Empty, ErrorState, Loading, Panel } from '../../components/states';
import { formatAgo, formatPercent, formatPrice, signClass } from '../../lib/format';
import { useBots } from '../../stores/bots';
import { navigate } from '../../stores/route';

/** Says how the monitor learns what bots write, as the issue asks: change streams or a poll. */
export function WatchBadge({ watch }: { watch?: BotWatch }): ReactElement | null {
  if (!watch) return null;
  const text =
    watch.mode === 'change-stream'
      ? 'Live: MongoDB change streams'
      : watch.mode === 'poll'
        ? `Live: polling every ${watch.intervalMs ?? '?'} ms`
        : 'Not watching';
  return (
    <span style={{ display: 'inline-flex', gap: 8, alignItems: 'center' }} data-testid="bots-watch" data-watch-mode={watch.mode} title={watch.detail}>
      <span className={`status ${watch.mode === 'off' ? 'stopped' : 'running'}`} style={{ textTransform: 'none' }}>{text}</span>
      <span className="faint">{watch.detail}</span>
    </span>
  );
}

export function BotStatePill({ bot }: { bot: Pick<BotSummary, 'state' | 'paused'> }): ReactElement {
  const cls = bot.state === 'open' ? 'running' : bot.state === 'scheduled' ? 'queued' : 'stopped';
  return (
    <span style={{ display: 'inline-flex', flexWrap: 'wrap', gap: 6 }}>
      <span className={`status ${cls}`} data-testid="bot-state" data-state={bot.state}>
        {bot.state === 'open' ? 'position open' : bot.state}
      </span>
      {bot.paused && (
        <span className="status failed" data-testid="bot-paused">
          paused
        </span>
      )}
    </span>
  );
}

export function NoBots(): ReactElement {
  return (
    <Empty title="No backtest-kit bots in this database">
      Point the monitor at your bot’s <span className="mono">CC_MONGO_CONNECTION_STRING</span> (Settings → Database, or start the monitor with that
      variable set). Every bot that persists with @backtest-kit/mongo appears here with its position, status and notifications, live.
    </Empty>
  );
}

function BotRow({ bot }: { bot: BotSummary }): ReactElement {
  const id = botIdOf(bot);
  const pnl = bot.livePnl?.pnlPercentage;
  return (
    <tr className="clickable" data-testid="bot-row" data-bot-id={id} onClick={() => navigate({ view: 'bots', runId: id })}>
      <td>
        <strong>{bot.strategyName}</strong>
      </td>
      <td>{bot.symbol}</td>
      <td>{bot.exchangeName}</td>
      <td>{bot.frameName || <span className="faint">—</span>}</td>
      <td>
        <span className={`status ${bot.mode === 'live' ? 'running' : 'completed'}`}>{bot.mode}</span>
      </td>
      <td>
        <BotStatePill bot={bot} />
      </td>
      <td className="num" data-testid="bot-position">
        {bot.position ? (
          <>
            {bot.position.position} @ {formatPrice(bot.position.priceOpen)}
          </>
        ) : (
          <span className="faint">—</span>
        )}
      </td>
      <td className={`num ${signClass(pnl)}`} data-testid="bot-pnl" title={bot.livePnl ? `against the ${bot.livePnl.interval} candle closing at ${formatPrice(bot.livePnl.priceClose)}` : undefined}>
        {pnl === undefined ? <span className="faint">{bot.position ? 'no candle' : '—'}</span> : formatPercent(pnl)}
      </td>
      <td className="dim">{bot.lastActivity ? formatAgo(bot.lastActivity) : '—'}</td>
    </tr>
  );
}

export function BotsList({ onRetry }: { onRetry(): void }): ReactElement {
  const bots = useBots((s) => s.bots);
  const loaded = useBots((s) => s.loaded);
  const error = useBots((s) => s.error);
  const watch = useBots((s) => s.watch);
  const [text, setText] = useState('');
  const [mode, setMode] = useState<'' | 'live' | 'backtest'>('');
  const [openOnly, setOpenOnly] = useState(false);
  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return bots.filter(
      (b) =>
        (!mode || b.mode === mode) &&
        (!openOnly || b.state !== 'idle') &&
        (!needle || [b.strategyName, b.symbol, b.exchangeName, b.frameName].some((v) => v.toLowerCase().includes(needle))),
    );
  }, [bots, text, mode, openOnly]);
  return (
    <div className="page" data-testid="bots-view">
      <div className="page-head">
        <h1>Bots</h1>
        <span className="sub">backtest-kit bots found in the database, whoever runs them · read-only</span>
        <div className="spacer" />
        <WatchBadge watch={watch} />
      </div>
      {bots.length > 0 && (
        <div className="toolbar">
          <label className="field">
            <span>Find</span>
            <input aria-label="Find a bot" placeholder="strategy, symbol, exchange, frame" value={text} onChange={(e) => setText(e.target.value)} />
          </label>
          <label className="field">
            <span>Mode</span>
            <select aria-label="Mode filter" value={mode} onChange={(e) => setMode(e.target.value as '' | 'live' | 'backtest')}>
              <option value="">Live and backtest</option>
              <option value="live">Live</option>
              <option value="backtest">Backtest</option>
            </select>
          </label>
          <label className="dim" style={{ display: 'flex', alignItems: 'center', gap: 6, alignSelf: 'end', paddingBottom: 8 }}>
            <input type="checkbox" checked={openOnly} onChange={(e) => setOpenOnly(e.target.checked)} />
            With a position or scheduled signal
          </label>
          <span className="faint">
            {shown.length} of {bots.length}
          </span>
        </div>
      )}
      <Panel flush>
        {!loaded ? (
          <Loading label="Looking for bots in the database…" />
        ) : error && bots.length === 0 ? (
          <>
            <ErrorState title="Cannot read the bots" error={error} onRetry={onRetry} />
            <p className="dim" style={{ textAlign: 'center', margin: '0 0 18px' }}>
              Bots are read from the database their @backtest-kit/mongo writes to: point the monitor at your bot’s{' '}
              <span className="mono">CC_MONGO_CONNECTION_STRING</span> (Settings → Database).
            </p>
          </>
        ) : bots.length === 0 ? (
          <NoBots />
        ) : shown.length === 0 ? (
          <Empty title="No bot matches these filters">Clear a filter to see the {bots.length} bots found.</Empty>
        ) : (
          <div className="table-scroll" style={{ maxHeight: 'none' }}>
            <table className="data" data-testid="bots-table">
              <thead>
                <tr>
                  <th>Strategy</th>
                  <th>Symbol</th>
                  <th>Exchange</th>
                  <th>Frame</th>
                  <th>Mode</th>
                  <th>Status</th>
                  <th>Open position</th>
                  <th>Live PnL</th>
                  <th>Last write</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((b) => (
                  <BotRow key={botIdOf(b)} bot={b} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      {error && bots.length > 0 && (
        <div className="result bad" role="alert">
          Showing the last list read: {error}
        </div>
      )}
    </div>
  );
}
