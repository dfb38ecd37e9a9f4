import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { LOG_LEVELS, type LogLevel } from '../../../shared/contract/domain';
import { call, errorMessage } from '../api/client';
import { Empty, ErrorState, Loading, Panel } from '../components/states';
import { formatTime } from '../lib/format';
import { useLogs } from '../stores/logs';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

async function loadTail(): Promise<void> {
  try {
    const { lines } = await call('logs.tail', { limit: 1000 });
    useLogs.getState().reset(lines);
  } catch (error) {
    useLogs.getState().setError(errorMessage(error));
  }
}

export function LogsView(): ReactElement {
  const lines = useLogs((s) => s.lines);
  const loaded = useLogs((s) => s.loaded);
  const error = useLogs((s) => s.error);
  const [level, setLevel] = useState<LogLevel>('info');
  const [follow, setFollow] = useState(true);
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
              <div className="log-line" key={l.entryId}>
                <span className="dim">{formatTime(l.at, true)}</span>
                <span className={`lvl-${l.level}`}>{l.level.toUpperCase()}</span>
                <span className="text">
                  {l.source && <span className="faint">[{l.source}] </span>}
                  {l.message}
                  {l.data && Object.keys(l.data).length > 0 && <span className="faint"> {JSON.stringify(l.data)}</span>}
                </span>
              </div>
            ))}
          </div>
        )}
      </Panel>
    </div>
  );
}
