import { useEffect, useMemo, useState, type ReactElement } from 'react';
import type { SweepSummary, TrialSummary } from '../../../../shared/domain/optimize';
import { call, errorMessage, getBackend, hasBackend } from '../../api/client';
import { refreshRuns } from '../../api/session';
import { Icon } from '../../components/icons';
import { SortableTable, type Column } from '../../components/SortableTable';
import { ErrorState, Loading, Panel, ProgressBar, StatusPill } from '../../components/states';
import { downloadText } from '../../lib/export';
import { formatDuration, formatInt, formatPercent, formatTime } from '../../lib/format';
import { navigate } from '../../stores/route';
import { Heatmap } from './Heatmap';
import { ParallelCoordinates } from './ParallelCoordinates';
import { ParamScatter } from './ParamScatter';
import { paramNames, strategyNames, sweepJson, throughputByWorker, trialsCsv } from './sweep-data';

const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '–' : v.toFixed(digits));

function TrialDetail({ sweep, trial }: { sweep: SweepSummary; trial: TrialSummary }): ReactElement {
  const [error, setError] = useState<string>();
  const [starting, setStarting] = useState(false);
  const d = sweep.definition;
  // Trials store statistics only: "Run this" replays the parameter set as a normal backtest, whose page has the trades and chart.
  const runThis = async (): Promise<void> => {
    setStarting(true);
    setError(undefined);
    try {
      const { runId } = await call('runs.start', {
        kind: 'backtest',
        strategyName: trial.strategyName,
        params: trial.params,
        exchangeName: d.exchangeName,
        symbols: d.symbols,
        interval: d.interval,
        from: trial.from,
        to: trial.to,
        costs: d.costs,
        account: d.account,
        scheduleTimeoutMinutes: d.scheduleTimeoutMinutes,
      });
      void refreshRuns();
      navigate({ view: 'sessions', runId });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setStarting(false);
    }
  };
  const s = trial.stats;
  return (
    <div data-testid="trial-detail" data-trial-id={trial.trialId}>
      <dl className="kv">
        <dt>Trial</dt>
        <dd>
          #{trial.index} ({trial.phase}) · {trial.strategyName}
        </dd>
        <dt>Parameters</dt>
        <dd>
          <code>{Object.entries(trial.params).map(([k, v]) => `${k}=${String(v)}`).join(', ')}</code>
        </dd>
        <dt>Window</dt>
        <dd>
          {formatTime(trial.from)} – {formatTime(trial.to)}
        </dd>
        <dt>Score</dt>
        <dd data-testid="trial-score">{num(trial.score)}</dd>
        {s && (
          <>
            <dt>Trades</dt>
            <dd>{formatInt(s.trades)}</dd>
            <dt>Total PnL</dt>
            <dd>{formatPercent(s.totalPnlPercent)}</dd>
            <dt>Win rate</dt>
            <dd>{s.winRate === null ? '–' : formatPercent(s.winRate * 100, 1, false)}</dd>
            <dt>Max drawdown</dt>
            <dd>{formatPercent(s.maxDrawdownPercent, 2, false)}</dd>
            <dt>Sharpe / Sortino</dt>
            <dd>
              {num(s.sharpe)} / {num(s.sortinoRatio)}
            </dd>
            <dt>Profit factor</dt>
            <dd>{num(s.profitFactor)}</dd>
          </>
        )}
        {trial.error && (
          <>
            <dt>Error</dt>
            <dd className="error-text">{trial.error}</dd>
          </>
        )}
        <dt>Ran on</dt>
        <dd>
          {trial.worker} in {formatDuration(trial.durationMs)}
        </dd>
      </dl>
      <button type="button" className="btn primary small" disabled={starting} onClick={() => void runThis()} data-testid="run-trial">
        {starting ? 'Starting…' : 'Run this as a backtest'}
      </button>
      {error && <p className="error-text">{error}</p>}
    </div>
  );
}

export function SweepPage({ sweepId }: { sweepId: string }): ReactElement {
  const [sweep, setSweep] = useState<SweepSummary>();
  const [trials, setTrials] = useState<TrialSummary[]>([]);
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [chartStrategy, setChartStrategy] = useState<string>();

  useEffect(() => {
    let alive = true;
    // Events first, then the snapshot: nothing finished in between is missed (trials are merged by id).
    const off = hasBackend()
      ? getBackend().subscribe('optimize.progress', (e) => {
          if (e.sweepId !== sweepId) return;
          setSweep((s) => (s ? { ...s, status: e.status, done: e.done, total: e.total, etaMs: e.etaMs, rate: e.rate, best: e.best, workers: e.workers ?? s.workers } : s));
          if (e.trials.length) setTrials((t) => merge(t, e.trials));
        })
      : () => undefined;
    Promise.all([call('optimize.get', { sweepId }), call('optimize.trials', { sweepId, sort: 'index', limit: 20_000 })]).then(
      ([s, page]) => {
        if (!alive) return;
        setSweep(s);
        setTrials((t) => merge(page.trials, t));
      },
      (err: unknown) => alive && setError(errorMessage(err)),
    );
    return () => {
      alive = false;
      off();
    };
  }, [sweepId]);

  const params = useMemo(() => paramNames(trials), [trials]);
  const byWorker = useMemo(() => throughputByWorker(trials), [trials]);
  const searched = useMemo(() => trials.filter((t) => !t.phase.endsWith('-oos')), [trials]);
  // Strategies have different parameters: the charts show one strategy's trials at a time (the best's first).
  const charted = useMemo(() => strategyNames(searched), [searched]);
  const shownStrategy = chartStrategy && charted.includes(chartStrategy) ? chartStrategy : (sweep?.best?.strategyName ?? charted[0]);
  const perStrategy = charted.length > 1 && sweep?.definition.mode !== 'walker';
  const chartTrials = useMemo(() => (perStrategy ? searched.filter((t) => t.strategyName === shownStrategy) : searched), [searched, shownStrategy, perStrategy]);
  const chartBest = useMemo(() => chartTrials.reduce<TrialSummary | undefined>((b, t) => (t.score !== null && (b?.score == null || t.score > b.score) ? t : b), undefined), [chartTrials]);
  const columns = useMemo<Column<TrialSummary>[]>(
    () => [
      { key: 'index', label: '#', numeric: true, sortValue: (t) => t.index, render: (t) => t.index },
      { key: 'phase', label: 'Window', sortValue: (t) => t.phase, render: (t) => t.phase },
      { key: 'strategy', label: 'Strategy', sortValue: (t) => t.strategyName, render: (t) => t.strategyName },
      ...params.map<Column<TrialSummary>>((p) => ({
        key: `p.${p}`,
        label: p,
        numeric: true,
        sortValue: (t) => (typeof t.params[p] === 'number' ? (t.params[p] as number) : String(t.params[p] ?? '')),
        render: (t) => String(t.params[p] ?? ''),
      })),
      { key: 'score', label: 'Score', numeric: true, sortValue: (t) => t.score ?? undefined, render: (t) => num(t.score) },
      { key: 'trades', label: 'Trades', numeric: true, sortValue: (t) => t.stats?.trades, render: (t) => formatInt(t.stats?.trades) },
      { key: 'pnl', label: 'PnL %', numeric: true, sortValue: (t) => t.stats?.totalPnlPercent, render: (t) => (t.stats ? formatPercent(t.stats.totalPnlPercent) : t.error ? 'error' : '–') },
      { key: 'dd', label: 'Max DD %', numeric: true, sortValue: (t) => t.stats?.maxDrawdownPercent, render: (t) => (t.stats ? formatPercent(t.stats.maxDrawdownPercent, 2, false) : '–') },
      { key: 'sharpe', label: 'Sharpe', numeric: true, sortValue: (t) => t.stats?.sharpe ?? undefined, render: (t) => num(t.stats?.sharpe) },
      { key: 'worker', label: 'Worker', sortValue: (t) => t.worker, render: (t) => t.worker },
    ],
    [params],
  );

  if (error) return <ErrorState title="Cannot open the sweep" error={error} />;
  if (!sweep) return <Loading label="Loading the sweep…" />;
  const picked = trials.find((t) => t.trialId === (selected ?? sweep.best?.trialId));
  const control = async (what: 'optimize.stop' | 'optimize.resume'): Promise<void> => {
    setBusy(true);
    try {
      setSweep(await call(what, { sweepId }));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const fileBase = `sweep-${(sweep.name ?? sweep.definition.strategies.map((s) => s.strategyName).join('+')).replace(/[^\w.+-]+/g, '_')}-${sweepId.slice(0, 8)}`;
  const fraction = sweep.total > 0 ? sweep.done / sweep.total : sweep.status === 'completed' ? 1 : 0;

  return (
    <div className="page" data-testid="sweep-page" data-sweep-id={sweepId} data-sweep-status={sweep.status}>
      <div className="page-head">
        <button type="button" className="btn small" onClick={() => navigate({ view: 'optimize' })}>
          <Icon name="back" size={12} /> Sweeps
        </button>
        <h1>{sweep.name ?? (sweep.definition.mode === 'walker' ? 'Strategy comparison' : `Sweep of ${sweep.definition.strategies.map((s) => s.strategyName).join(' + ')}`)}</h1>
        <StatusPill status={sweep.status} />
        <div className="spacer" />
        {sweep.status === 'running' ? (
          <button type="button" className="btn small" disabled={busy} onClick={() => void control('optimize.stop')} data-testid="sweep-stop">
            <Icon name="stop" size={12} /> Stop
          </button>
        ) : sweep.status !== 'completed' ? (
          <button type="button" className="btn small" disabled={busy} onClick={() => void control('optimize.resume')} data-testid="sweep-resume">
            Resume
          </button>
        ) : null}
        <button type="button" className="btn small" onClick={() => downloadText(`${fileBase}.csv`, trialsCsv(trials), 'text/csv')} data-testid="sweep-export-csv">
          <Icon name="download" size={12} /> CSV
        </button>
        <button type="button" className="btn small" onClick={() => downloadText(`${fileBase}.json`, sweepJson(sweep, trials), 'application/json')} data-testid="sweep-export-json">
          <Icon name="download" size={12} /> JSON
        </button>
      </div>
      <Panel title="Progress" testId="sweep-progress">
        <ProgressBar value={fraction} status={sweep.status} />
        <p className="faint" data-testid="sweep-progress-text">
          {formatInt(sweep.done)} of {sweep.total > 0 ? formatInt(sweep.total) : '?'} trials
          {sweep.rate !== undefined ? ` · ${sweep.rate.toFixed(1)} trials/s` : ''}
          {sweep.status === 'running' && sweep.etaMs !== undefined ? ` · about ${formatDuration(sweep.etaMs)} left` : ''}
          {` · ${sweep.executor === 'redis' ? `on Redis workers${sweep.workers !== undefined ? ` (${sweep.workers} connected)` : ''}` : 'in this app'}`}
        </p>
        {byWorker.length > 1 || sweep.executor === 'redis' ? (
          <p className="faint" data-testid="sweep-workers">
            {byWorker.map((w) => `${w.worker}: ${formatInt(w.trials)} trials, ${formatDuration(w.meanMs)} each`).join(' · ')}
          </p>
        ) : null}
        {sweep.error && <p className="error-text">{sweep.error}</p>}
      </Panel>
      <div className="grid-2">
        <Panel title="Best so far" testId="sweep-best">
          {sweep.best ? (
            <p>
              <strong data-testid="best-score">{num(sweep.best.score)}</strong> ·{' '}
              <button type="button" className="link" onClick={() => setSelected(sweep.best!.trialId)} data-testid="open-best">
                {sweep.best.strategyName}: {Object.entries(sweep.best.params).map(([k, v]) => `${k}=${String(v)}`).join(', ')}
              </button>
            </p>
          ) : (
            <p className="faint">No trial has a score yet.</p>
          )}
          {picked && <TrialDetail sweep={sweep} trial={picked} />}
        </Panel>
        <Panel title="Heatmap and scatter" testId="sweep-charts">
          {perStrategy && (
            <label className="field" style={{ maxWidth: 280, marginBottom: 8 }}>
              <span>Strategy</span>
              <select aria-label="Chart strategy" value={shownStrategy} onChange={(e) => setChartStrategy(e.target.value)}>
                {charted.map((name) => (
                  <option key={name}>{name}</option>
                ))}
              </select>
            </label>
          )}
          <Heatmap key={shownStrategy} trials={chartTrials} onPick={setSelected} />
          <ParamScatter key={`s.${shownStrategy}`} trials={chartTrials} onPick={setSelected} />
        </Panel>
      </div>
      <Panel title={`Parallel coordinates${perStrategy ? `: ${shownStrategy}` : ''}`} testId="sweep-parallel">
        <ParallelCoordinates trials={chartTrials} bestId={chartBest?.trialId} onPick={setSelected} />
      </Panel>
      {sweep.walkForward && sweep.walkForward.length > 0 && (
        <Panel title="Walk-forward: each window's best parameters out of sample" flush testId="walk-forward">
          <table className="data">
            <thead>
              <tr>
                <th>Window</th>
                <th>In sample</th>
                <th>Out of sample</th>
                <th>Best parameters</th>
                <th className="num">In-sample score</th>
                <th className="num">Out-of-sample score</th>
                <th className="num">OOS PnL %</th>
              </tr>
            </thead>
            <tbody>
              {sweep.walkForward.map((w) => (
                <tr key={w.window}>
                  <td>{w.window + 1}</td>
                  <td>
                    {formatTime(w.inSample.from)} – {formatTime(w.inSample.to)}
                  </td>
                  <td>
                    {formatTime(w.outOfSample.from)} – {formatTime(w.outOfSample.to)}
                  </td>
                  <td>{w.best ? Object.entries(w.best.params).map(([k, v]) => `${k}=${String(v)}`).join(', ') : '–'}</td>
                  <td className="num">{num(w.best?.score)}</td>
                  <td className="num">{num(w.outOfSampleScore)}</td>
                  <td className="num">{w.outOfSampleStats ? formatPercent(w.outOfSampleStats.totalPnlPercent) : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Panel>
      )}
      <Panel title={`Trials (${formatInt(trials.length)})`} flush>
        <div style={{ maxHeight: 480, overflow: 'auto' }}>
          <SortableTable rows={trials} columns={columns} rowKey={(t) => t.trialId} initialSort={{ key: 'score', dir: 'desc' }} onRowClick={(t) => setSelected(t.trialId)} highlight={picked?.trialId} testId="trials-table" />
        </div>
      </Panel>
    </div>
  );
}

function merge(base: readonly TrialSummary[], more: readonly TrialSummary[]): TrialSummary[] {
  const seen = new Set(base.map((t) => t.trialId));
  const out = [...base];
  for (const t of more) if (!seen.has(t.trialId)) out.push(t);
  return out;
}
