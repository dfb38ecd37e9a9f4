import { useEffect, useMemo, useState, type FormEvent, type ReactElement } from 'react';
import { INTERVALS, INTERVAL_MS, type Interval } from '../../../../shared/candles';
import type { ParamField, StrategyInfo } from '../../../../shared/contract/domain';
import { OBJECTIVE_METRICS, type ObjectiveMetric, type ParamRange, type SweepDefinitionInput } from '../../../../shared/domain/optimize';
import { call, errorMessage } from '../../api/client';
import { ContractFailure } from '../../../../shared/contract/result';
import { ErrorState, Loading } from '../../components/states';
import { formatInt, fromUtcInput, toUtcInput, UTC_INPUT_PLACEHOLDER } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { navigate } from '../../stores/route';

type Series = { exchangeName: string; symbol: string; interval: Interval; count: number; first: number | null; last: number | null };
type RangeMode = 'fixed' | 'range' | 'choices';
interface ParamRow {
  mode: RangeMode;
  fixed: string;
  min: string;
  max: string;
  step: string;
  choices: string;
}

export const METRIC_LABELS: Record<ObjectiveMetric, string> = {
  sharpe: 'Sharpe',
  sortino: 'Sortino',
  totalPnlPercent: 'Total PnL %',
  profitFactor: 'Profit factor',
  winRate: 'Win rate',
  maxDrawdown: 'Max drawdown (lower is better)',
};

function rowOf(field: ParamField): ParamRow {
  const d = field.default === undefined ? '' : String(field.default);
  return { mode: 'fixed', fixed: d, min: field.min !== undefined ? String(field.min) : d, max: d, step: field.step !== undefined ? String(field.step) : '', choices: field.type === 'boolean' ? 'true, false' : (field.options ?? []).join(', ') };
}

function parseValue(field: ParamField, text: string): string | number | boolean {
  const t = text.trim();
  if (field.type === 'boolean') return t === 'true';
  if (field.type === 'integer' || field.type === 'number') return t === '' ? NaN : Number(t);
  return t;
}

function rangeOf(field: ParamField, row: ParamRow): ParamRange {
  if (row.mode === 'fixed') return { fixed: parseValue(field, row.fixed) };
  if (row.mode === 'choices') return { choices: row.choices.split(',').filter((c) => c.trim() !== '').map((c) => parseValue(field, c)) };
  const range: ParamRange = { min: Number(row.min), max: Number(row.max) };
  if (row.step.trim() !== '') range.step = Number(row.step);
  return range;
}

function ParamRangeRow({ field, row, onChange }: { field: ParamField; row: ParamRow; onChange(row: ParamRow): void }): ReactElement {
  const numeric = field.type === 'integer' || field.type === 'number';
  const set = (patch: Partial<ParamRow>): void => onChange({ ...row, ...patch });
  return (
    <div className="form-row" data-testid={`sweep-param-${field.name}`} style={{ alignItems: 'end' }}>
      <label className="field">
        <span>{field.label}</span>
        <select aria-label={`${field.name} mode`} value={row.mode} onChange={(e) => set({ mode: e.target.value as RangeMode })}>
          <option value="fixed">Fixed</option>
          {numeric && <option value="range">Range</option>}
          <option value="choices">Choices</option>
        </select>
      </label>
      {row.mode === 'fixed' && (
        <label className="field">
          <span>Value</span>
          <input aria-label={`${field.name} value`} className="num" value={row.fixed} onChange={(e) => set({ fixed: e.target.value })} />
        </label>
      )}
      {row.mode === 'range' && (
        <>
          <label className="field">
            <span>Min</span>
            <input aria-label={`${field.name} min`} className="num" value={row.min} onChange={(e) => set({ min: e.target.value })} />
          </label>
          <label className="field">
            <span>Max</span>
            <input aria-label={`${field.name} max`} className="num" value={row.max} onChange={(e) => set({ max: e.target.value })} />
          </label>
          <label className="field">
            <span>Step</span>
            <input aria-label={`${field.name} step`} className="num" value={row.step} placeholder="continuous" onChange={(e) => set({ step: e.target.value })} />
          </label>
        </>
      )}
      {row.mode === 'choices' && (
        <label className="field">
          <span>Choices (comma-separated)</span>
          <input aria-label={`${field.name} choices`} value={row.choices} onChange={(e) => set({ choices: e.target.value })} />
        </label>
      )}
    </div>
  );
}

/** The sweep as the form describes it; numbers the user typed badly travel as NaN and the core names the field. */
export function SweepForm({ onCancel }: { onCancel(): void }): ReactElement {
  const data = useAsync(async () => {
    const [strategies, symbols] = await Promise.all([call('strategies.list', {}), call('candles.symbols', {})]);
    return { strategies: strategies.strategies.filter((s) => !s.error), series: symbols.series as Series[] };
  }, []);
  const [mode, setMode] = useState<'sweep' | 'walker'>('sweep');
  // The strategies of the sweep (each with its own parameter ranges) or of the walker comparison.
  const [picked, setPicked] = useState<string[]>([]);
  const [rows, setRows] = useState<Record<string, Record<string, ParamRow>>>({});
  const [exchangeName, setExchangeName] = useState('');
  const [interval, setInterval] = useState<Interval>('1m');
  const [symbols, setSymbols] = useState<string[]>([]);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [metric, setMetric] = useState<ObjectiveMetric | 'combination'>('sharpe');
  const [weights, setWeights] = useState('totalPnlPercent: 1, maxDrawdown: 0.5');
  const [minTrades, setMinTrades] = useState('5');
  const [method, setMethod] = useState<'grid' | 'random' | 'tpe'>('grid');
  const [budgetTrials, setBudgetTrials] = useState('');
  const [budgetSeconds, setBudgetSeconds] = useState('');
  const [walkForward, setWalkForward] = useState(false);
  const [windows, setWindows] = useState('3');
  const [wfMode, setWfMode] = useState<'rolling' | 'anchored'>('rolling');
  const [oos, setOos] = useState('25');
  const [error, setError] = useState<string>();
  const [issues, setIssues] = useState<Array<{ path: string; message: string }>>([]);
  const [submitting, setSubmitting] = useState(false);

  const strategies: StrategyInfo[] = data.data?.strategies ?? [];
  const pickedInfos = picked.map((name) => strategies.find((s) => s.name === name)).filter((s): s is StrategyInfo => s !== undefined);
  const series = useMemo(() => data.data?.series ?? [], [data.data]);
  const exchanges = useMemo(() => [...new Set(series.map((s) => s.exchangeName))].sort(), [series]);
  // The candles the trials read: a backtest-kit file reads 1m whatever the sweep's interval, a native
  // strategy the sweep's own; a symbol is offered only when every picked strategy can read it.
  const candleIntervals = useMemo(() => {
    const needed = new Set(pickedInfos.map((s) => s.candleInterval ?? interval));
    return needed.size > 0 ? [...needed] : [interval];
  }, [pickedInfos.map((s) => s.candleInterval ?? interval).join(','), interval]);
  const readable = useMemo(() => series.filter((s) => s.exchangeName === exchangeName && candleIntervals.includes(s.interval) && s.count > 0), [series, exchangeName, candleIntervals]);
  const available = useMemo(
    () => readable.filter((s) => s.interval === candleIntervals[0] && candleIntervals.every((i) => readable.some((r) => r.symbol === s.symbol && r.interval === i))),
    [readable, candleIntervals],
  );

  useEffect(() => {
    if (!data.data) return;
    const first = data.data.strategies[0];
    if (first && picked.length === 0) setPicked([first.name]);
    const s0 = data.data.series[0];
    if (s0 && !exchangeName) {
      setExchangeName(s0.exchangeName);
      setInterval(s0.interval);
      setSymbols([s0.symbol]);
    }
  }, [data.data]);

  const chosen = readable.filter((s) => symbols.includes(s.symbol));
  useEffect(() => {
    const firsts = chosen.map((s) => s.first).filter((v): v is number => v !== null);
    const lasts = chosen.map((s) => s.last).filter((v): v is number => v !== null);
    if (firsts.length && lasts.length) {
      setFrom(toUtcInput(Math.max(...firsts)));
      setTo(toUtcInput(Math.min(...lasts) + INTERVAL_MS[interval]));
    }
  }, [symbols.join(','), exchangeName, interval, candleIntervals.join(',')]);

  if (data.status === 'loading') return <Loading label="Loading strategies and stored candles…" />;
  if (data.status === 'error') return <ErrorState title="Cannot prepare a sweep" error={data.error} onRetry={data.reload} />;

  // A strategy taken out keeps its rows, so putting it back restores the ranges typed for it.
  const toggleStrategy = (name: string): void => setPicked((p) => (p.includes(name) ? p.filter((x) => x !== name) : [...p, name]));
  const rowFor = (s: StrategyInfo, f: ParamField): ParamRow => rows[s.name]?.[f.name] ?? rowOf(f);
  const setRow = (s: StrategyInfo, f: ParamField, row: ParamRow): void => setRows((r) => ({ ...r, [s.name]: { ...r[s.name], [f.name]: row } }));
  // "strategies.1.params.fast.min" reads better with the strategy's name beside its position.
  const issuePath = (path: string): string => path.replace(/^strategies\.(\d+)/, (whole, i: string) => (picked[Number(i)] ? `${whole} (${picked[Number(i)]})` : whole));

  const definition = (): SweepDefinitionInput => {
    const objective =
      metric === 'combination'
        ? {
            weights: Object.fromEntries(
              weights
                .split(',')
                .map((w) => w.split(':').map((x) => x.trim()))
                .filter((w) => w[0])
                .map(([k, v]) => [k!, Number(v)]),
            ),
            minTrades: Number(minTrades),
          }
        : { metric, minTrades: Number(minTrades) };
    const def: SweepDefinitionInput = {
      mode,
      strategies: pickedInfos.map((s) =>
        mode === 'walker' ? { strategyName: s.name } : { strategyName: s.name, params: Object.fromEntries(s.params.map((f) => [f.name, rangeOf(f, rowFor(s, f))])) },
      ),
      exchangeName,
      // Only the chosen symbols the chips show: one hidden by another interval or strategy is never sent.
      symbols: symbols.filter((sym) => available.some((s) => s.symbol === sym)),
      interval,
      from: fromUtcInput(from) ?? NaN,
      to: fromUtcInput(to) ?? NaN,
      objective: objective as SweepDefinitionInput['objective'],
      search: { method: mode === 'walker' ? 'grid' : method },
      budget: {
        ...(budgetTrials.trim() ? { trials: Number(budgetTrials) } : {}),
        ...(budgetSeconds.trim() ? { seconds: Number(budgetSeconds) } : {}),
      },
    };
    if (walkForward) def.walkForward = { windows: Number(windows), mode: wfMode, outOfSamplePercent: Number(oos) };
    return def;
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitting(true);
    setError(undefined);
    setIssues([]);
    try {
      const sweep = await call('optimize.start', definition());
      navigate({ view: 'optimize', runId: sweep.sweepId });
    } catch (err) {
      setError(errorMessage(err));
      if (err instanceof ContractFailure && err.issues) setIssues(err.issues);
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <form className="form" noValidate onSubmit={(e) => void submit(e)} data-testid="sweep-form">
      <div className="field">
        <span className="field-label">Mode</span>
        <div className="segmented" role="group" aria-label="Mode">
          <button type="button" aria-pressed={mode === 'sweep'} onClick={() => setMode('sweep')}>
            Parameter sweep
          </button>
          <button type="button" aria-pressed={mode === 'walker'} onClick={() => setMode('walker')}>
            Compare strategies (walker)
          </button>
        </div>
      </div>
      <div className="field">
        <span className="field-label">{mode === 'sweep' ? 'Strategies to sweep (each with its own parameter ranges)' : 'Strategies to compare (each at its default parameters)'}</span>
        <div className="chips" role="group" aria-label="Strategies">
          {strategies.map((s) => (
            <button key={s.name} type="button" className="chip" data-strategy={s.name} aria-pressed={picked.includes(s.name)} onClick={() => toggleStrategy(s.name)}>
              {s.name}
              {s.source === 'user' ? ' (user)' : ''}
            </button>
          ))}
        </div>
      </div>
      {mode === 'sweep' &&
        pickedInfos.map((s) => (
          <fieldset key={s.name} className="form" style={{ border: '1px solid var(--border)', borderRadius: 8, padding: 12, margin: 0 }} data-testid={`sweep-params-${s.name}`}>
            <legend className="field-label" style={{ padding: '0 6px' }}>
              {s.name}: each parameter fixed, a range (min/max/step) or choices
            </legend>
            {s.params.length === 0 && <p className="faint">This strategy has no parameters: it runs once.</p>}
            {s.params.map((f) => (
              <ParamRangeRow key={f.name} field={f} row={rowFor(s, f)} onChange={(row) => setRow(s, f, row)} />
            ))}
          </fieldset>
        ))}
      <div className="form-row">
        <label className="field">
          <span>Exchange</span>
          <select aria-label="Exchange" value={exchangeName} onChange={(e) => setExchangeName(e.target.value)}>
            {exchanges.map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Interval</span>
          <select aria-label="Interval" value={interval} onChange={(e) => setInterval(e.target.value as Interval)}>
            {INTERVALS.map((i) => (
              <option key={i}>{i}</option>
            ))}
          </select>
        </label>
      </div>
      <div className="field">
        <span className="field-label">Symbols</span>
        <div className="chips" role="group" aria-label="Symbols">
          {available.map((s) => (
            <button key={s.symbol} type="button" className="chip" data-symbol={s.symbol} aria-pressed={symbols.includes(s.symbol)} onClick={() => setSymbols((x) => (x.includes(s.symbol) ? x.filter((y) => y !== s.symbol) : [...x, s.symbol]))}>
              {s.symbol} <span className="faint num">{formatInt(s.count)}</span>
            </button>
          ))}
        </div>
      </div>
      <div className="form-row">
        <label className="field">
          <span>From (UTC)</span>
          <input aria-label="From" className="num" placeholder={UTC_INPUT_PLACEHOLDER} value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span>To (UTC)</span>
          <input aria-label="To" className="num" placeholder={UTC_INPUT_PLACEHOLDER} value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span>Objective</span>
          <select aria-label="Objective" value={metric} onChange={(e) => setMetric(e.target.value as ObjectiveMetric | 'combination')}>
            {OBJECTIVE_METRICS.map((m) => (
              <option key={m} value={m}>
                {METRIC_LABELS[m]}
              </option>
            ))}
            <option value="combination">Combination (weighted sum)</option>
          </select>
        </label>
        {metric === 'combination' && (
          <label className="field">
            <span>Weights (metric: weight, …)</span>
            <input aria-label="Weights" value={weights} onChange={(e) => setWeights(e.target.value)} />
          </label>
        )}
        <label className="field">
          <span>Minimum trades</span>
          <input aria-label="Minimum trades" className="num" value={minTrades} onChange={(e) => setMinTrades(e.target.value)} />
        </label>
      </div>
      {mode === 'sweep' && (
        <div className="form-row">
          <label className="field">
            <span>Search</span>
            <select aria-label="Search" value={method} onChange={(e) => setMethod(e.target.value as 'grid' | 'random' | 'tpe')}>
              <option value="grid">Grid (every combination)</option>
              <option value="random">Random</option>
              <option value="tpe">TPE (model-based)</option>
            </select>
          </label>
          <label className="field">
            <span>Budget: trials</span>
            <input aria-label="Budget trials" className="num" value={budgetTrials} placeholder={method === 'grid' ? 'whole grid' : ''} onChange={(e) => setBudgetTrials(e.target.value)} />
          </label>
          <label className="field">
            <span>Budget: seconds</span>
            <input aria-label="Budget seconds" className="num" value={budgetSeconds} onChange={(e) => setBudgetSeconds(e.target.value)} />
          </label>
        </div>
      )}
      <div className="form-row" style={{ alignItems: 'end' }}>
        <label className="field" style={{ gridTemplateColumns: 'auto 1fr', alignItems: 'center' }}>
          <input type="checkbox" aria-label="Walk-forward" checked={walkForward} onChange={(e) => setWalkForward(e.target.checked)} />
          <span>Walk-forward (in-sample / out-of-sample windows)</span>
        </label>
        {walkForward && (
          <>
            <label className="field">
              <span>Windows</span>
              <input aria-label="Windows" className="num" value={windows} onChange={(e) => setWindows(e.target.value)} />
            </label>
            <label className="field">
              <span>Windows are</span>
              <select aria-label="Walk-forward mode" value={wfMode} onChange={(e) => setWfMode(e.target.value as 'rolling' | 'anchored')}>
                <option value="rolling">Rolling</option>
                <option value="anchored">Anchored</option>
              </select>
            </label>
            <label className="field">
              <span>Out-of-sample %</span>
              <input aria-label="Out-of-sample percent" className="num" value={oos} onChange={(e) => setOos(e.target.value)} />
            </label>
          </>
        )}
      </div>
      {error && (
        <div className="error-text" role="alert" data-testid="sweep-error">
          {error}
          {issues.length > 0 && (
            <ul>
              {issues.map((i) => (
                <li key={i.path}>
                  <code>{issuePath(i.path)}</code>: {i.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="form-row">
        <button type="submit" className="btn primary" disabled={submitting} data-testid="sweep-start">
          {submitting ? 'Starting…' : 'Start sweep'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
