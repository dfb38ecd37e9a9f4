import { useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type ReactElement } from 'react';
import { isInterval } from '../../../shared/candles';
import { botKeyFromId } from '../../../shared/contract/bots';
import { LOG_LEVELS, type LogLevel, type LogSubject } from '../../../shared/contract/domain';
import { ContractFailure } from '../../../shared/contract/result';
import { call, errorMessage } from '../api/client';
import { useCandlePick } from '../components/Shortcuts';
import { Empty, ErrorState, Loading, Panel } from '../components/states';
import { formatTime } from '../lib/format';
import { useLogs } from '../stores/logs';
import { navigate } from '../stores/route';
import { useRuns } from '../stores/runs';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A long run name must not take over the line: cut, the whole of it in the tooltip. */
const LINK: CSSProperties = { display: 'inline-block', maxWidth: '40ch', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', verticalAlign: 'bottom' };

async function loadTail(): Promise<void> {
  try {
    const { lines } = await call('logs.tail', { limit: 1000 });
    useLogs.getState().reset(lines);
  } catch (error) {
    useLogs.getState().setError(errorMessage(error));
  }
}

/**
 * The link of a line that names what it concerns: a run opens its page, a series the Candles page
 * on it, a bot its page on the Bots page. A run is looked up first: a deleted one says so here instead of opening a page of nothing.
 */
function SubjectLink({ subject, gone, onGone }: { subject: LogSubject; gone: boolean; onGone: (runId: string) => void }): ReactElement | null {
  const name = useRuns((s) => (subject.kind === 'run' ? s.byId[subject.runId]?.name : undefined));
  const [error, setError] = useState<string>();
  if (subject.kind === 'bot') {
    const bot = botKeyFromId(subject.botId);
    // A line from another version may name a bot in a form this one cannot read.
    if (!bot) return null;
    return (
      <button
        type="button"
        className="link log-subject"
        style={LINK}
        onClick={() => navigate({ view: 'bots', runId: subject.botId })}
        title={`Open the bot ${bot.strategyName} ${bot.symbol} (${bot.exchangeName}) on the Bots page`}
        data-testid="log-subject"
      >
        → bot {bot.strategyName} {bot.symbol}
      </button>
    );
  }
  if (subject.kind === 'series') {
    const { exchangeName, symbol, interval } = subject;
    // A line from another version may name an interval this one cannot show.
    if (!isInterval(interval)) return null;
    const open = (): void => {
      useCandlePick.getState().set({ exchangeName, symbol, interval });
      navigate({ view: 'candles' });
    };
    return (
      <button type="button" className="link log-subject" style={LINK} onClick={open} title={`Open ${exchangeName} ${symbol} ${interval} on the Candles page`} data-testid="log-subject">
        → {symbol} {interval} candles
      </button>
    );
  }
  const { runId } = subject;
  if (gone) {
    return (
      <span className="faint log-subject" data-testid="log-subject-gone">
        run {runId} no longer exists (deleted)
      </span>
    );
  }
  const open = (): void => {
    setError(undefined);
    call('runs.get', { runId })
      .then(() => navigate({ view: 'sessions', runId }))
      .catch((err: unknown) => {
        if (err instanceof ContractFailure && err.code === 'not_found') onGone(runId);
        else setError(errorMessage(err));
      });
  };
  return (
    <>
      <button type="button" className="link log-subject" style={LINK} onClick={open} title={`Open the page of run ${name ? `“${name}” (${runId})` : runId}`} data-testid="log-subject">
        → {name ? `run “${name}”` : 'run page'}
      </button>
      {error && <span className="lvl-error"> cannot open the run: {error}</span>}
    </>
  );
}

export function LogsView(): ReactElement {
  const lines = useLogs((s) => s.lines);
  const loaded = useLogs((s) => s.loaded);
  const error = useLogs((s) => s.error);
  const [level, setLevel] = useState<LogLevel>('info');
  const [follow, setFollow] = useState(true);
  // Runs found deleted when their link was clicked: every line about them says so.
  const [goneRuns, setGoneRuns] = useState<ReadonlySet<string>>(new Set());
  const markGone = (runId: string): void => setGoneRuns((s) => new Set(s).add(runId));
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void loadTail();
  }, []);

  const shown = useMemo(() => lines.filter((l) => RANK[l.level] >= RANK[level]).slice(-1000), [lines, level]);

  useLayoutEffect(() => {
    if (follow && scroller.current) scroller.current.scrollTop = scroller.current.scrollHeight;
  }, [shown, follow]);

  return (
    <div className="page" data-testid="logs-view">
      <div className="page-head">
        <h1>Logs</h1>
        <span className="sub">Tail of the JSONL log, live</span>
        <div className="spacer" />
        <div className="segmented" role="group" aria-label="Minimum level">
          {LOG_LEVELS.map((l) => (
            <button key={l} type="button" aria-pressed={level === l} onClick={() => setLevel(l)}>
              {l}
            </button>
          ))}
        </div>
        <label style={{ display: 'flex', alignItems: 'center', gap: 6 }} className="dim">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
      </div>
      <Panel flush>
        {!loaded ? (
          <Loading label="Reading the log…" />
        ) : error && lines.length === 0 ? (
          <ErrorState title="Cannot read the log" error={error} onRetry={() => void loadTail()} />
        ) : shown.length === 0 ? (
          <Empty title={lines.length ? `No ${level} or higher lines` : 'The log is empty'}>{lines.length ? 'Pick a lower level to see more.' : 'Lines appear here as the app and its runs write them.'}</Empty>
        ) : (
          <div ref={scroller} style={{ height: 'calc(100vh - 190px)', minHeight: 300, overflow: 'auto' }} data-testid="log-lines">
            {shown.map((l) => (
              <div className="log-line" key={l.entryId} data-testid="log-line">
                <span className="dim">{formatTime(l.at, true)}</span>
                <span className={`lvl-${l.level}`}>{l.level.toUpperCase()}</span>
                <span className="text">
                  {l.source && <span className="faint">[{l.source}] </span>}
                  {l.message}
                  {l.data && Object.keys(l.data).length > 0 && <span className="faint"> {JSON.stringify(l.data)}</span>}
                  {l.subject && (
                    <>
                      {' '}
                      <SubjectLink subject={l.subject} gone={l.subject.kind === 'run' && goneRuns.has(l.subject.runId)} onGone={markGone} />
                    </>
                  )}
                </span>
              </div>
            ))}
          </div>
        )}
      </Panel>
    </div>
  );
}
