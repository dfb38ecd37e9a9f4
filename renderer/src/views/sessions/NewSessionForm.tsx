import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { INTERVALS, INTERVAL_MS, type Interval } from '../../../../shared/candles';
import type { ParamField, RunKind, StrategyInfo, StrategyParams } from '../../../../shared/contract/domain';
import { ContractFailure } from '../../../../shared/contract/result';
import { call, errorMessage } from '../../api/client';
import { refreshRuns } from '../../api/session';
import { ErrorState, Loading } from '../../components/states';
import { formatInt, fromUtcInput, toUtcInput } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { navigate } from '../../stores/route';

const MODES: Array<{ kind: RunKind; label: string }> = [
  { kind: 'backtest', label: 'Backtest' },
  { kind: 'live', label: 'Live' },
  { kind: 'paper', label: 'Paper replay' },
];

/** Replay speeds as multiples of real time (1 = one candle per interval); 0 means as fast as the engine goes. */
const SPEEDS = [1, 10, 60, 600, 3600, 0] as const;

interface Series {
  exchangeName: string;
  symbol: string;
  interval: Interval;
  count: number;
  first: number | null;
  last: number | null;
}

function defaultParams(strategy: StrategyInfo | undefined): StrategyParams {
  const out: StrategyParams = {};
  for (const p of strategy?.params ?? []) if (p.default !== undefined) out[p.name] = p.default;
  return out;
}

function ParamInput({ field, value, onChange }: { field: ParamField; value: StrategyParams[string] | undefined; onChange(v: StrategyParams[string]): void }): ReactElement {
  const id = `param-${field.name}`;
  if (field.type === 'boolean') {
    return (
      <label className="field" htmlFor={id} style={{ gridTemplateColumns: 'auto 1fr', alignItems: 'center' }}>
        <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        <span>{field.label}</span>
      </label>
    );
  }
  if (field.type === 'enum') {
    return (
      <label className="field" htmlFor={id}>
        <span>{field.label}</span>
        <select id={id} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)}>
          {(field.options ?? []).map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      </label>
    );
  }
  const numeric = field.type === 'number' || field.type === 'integer';
  return (
    <label className="field" htmlFor={id}>
      <span>{field.label}</span>
      <input
        id={id}
        name={field.name}
        type={numeric ? 'number' : 'text'}
        className={numeric ? 'num' : undefined}
        value={String(value ?? '')}
        min={field.min}
        max={field.max}
        step={field.step ?? (field.type === 'integer' ? 1 : 'any')}
        onChange={(e) => onChange(numeric ? Number(e.target.value) : e.target.value)}
      />
      {field.description && <span className="hint">{field.description}</span>}
    </label>
  );
}

export function NewSessionForm({ onCancel }: { onCancel?(): void }): ReactElement {
  const data = useAsync(async () => {
    const [strategies, symbols] = await Promise.all([call('strategies.list', {}), call('candles.symbols', {})]);
    return { strategies: strategies.strategies, series: symbols.series as Series[] };
  }, []);

  const [kind, setKind] = useState<RunKind>('backtest');
  const [strategyName, setStrategyName] = useState('');
  const [params, setParams] = useState<StrategyParams>({});
  const [exchangeName, setExchangeName] = useState('');
  const [interval, setInterval] = useState<Interval>('1m');
  const [symbols, setSymbols] = useState<string[]>([]);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [speed, setSpeed] = useState<number>(600);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const strategies = data.data?.strategies ?? [];
  const series = useMemo(() => data.data?.series ?? [], [data.data]);
  const strategy = strategies.find((s) => s.name === strategyName);
  const exchanges = useMemo(() => [...new Set(series.map((s) => s.exchangeName))].sort(), [series]);
  const available = useMemo(() => series.filter((s) => s.exchangeName === exchangeName && s.interval === interval && s.count > 0), [series, exchangeName, interval]);

  // Sensible defaults as soon as the lists arrive: the first strategy and what is stored.
  useEffect(() => {
    if (!data.data) return;
    const first = data.data.strategies[0];
    if (first && !strategyName) {
      setStrategyName(first.name);
      setParams(defaultParams(first));
    }
    const s0 = data.data.series[0];
    if (s0 && !exchangeName) {
      setExchangeName(s0.exchangeName);
      setInterval(s0.interval);
    } else if (!s0 && !exchangeName) setExchangeName('binance');
  }, [data.data]);

  // Preselect the first stored symbol so a first backtest is one click away.
  const preselected = useRef(false);
  useEffect(() => {
    const first = available[0];
    if (!preselected.current && kind !== 'live' && first) {
      preselected.current = true;
      setSymbols((s) => (s.length ? s : [first.symbol]));
    }
  }, [available, kind]);

  // The date range follows the chosen symbols' stored range until the user edits it.
  const chosen = available.filter((s) => symbols.includes(s.symbol));
  useEffect(() => {
    const firsts = chosen.map((s) => s.first).filter((v): v is number => v !== null);
    const lasts = chosen.map((s) => s.last).filter((v): v is number => v !== null);
    if (firsts.length && lasts.length) {
      setFrom(toUtcInput(Math.max(...firsts)));
      setTo(toUtcInput(Math.min(...lasts) + INTERVAL_MS[interval]));
    }
  }, [symbols.join(','), exchangeName, interval]);

  if (data.status === 'loading') return <Loading label="Loading strategies and stored candles…" />;
  if (data.status === 'error') return <ErrorState title="Cannot prepare a new session" error={data.error} onRetry={data.reload} />;

  const toggleSymbol = (symbol: string): void => {
    setSymbols((s) => (s.includes(symbol) ? s.filter((x) => x !== symbol) : [...s, symbol]));
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setSubmitting(true);
    setError(undefined);
    setFieldErrors({});
    try {
      const { runId } = await call('runs.start', {
        kind,
        strategyName,
        params,
        exchangeName,
        symbols,
        interval,
        from: kind === 'live' ? undefined : fromUtcInput(from),
        to: kind === 'live' ? undefined : fromUtcInput(to),
        replaySpeed: kind === 'paper' ? speed : undefined,
      });
      void refreshRuns();
      navigate({ view: 'sessions', runId });
    } catch (err) {
      if (err instanceof ContractFailure && err.issues) {
        setFieldErrors(Object.fromEntries(err.issues.map((i) => [i.path.split('.')[0] ?? '', i.message])));
      }
      setError(errorMessage(err));
    } finally {
      setSubmitting(false);
    }
  };

  const fieldError = (name: string): ReactElement | null => (fieldErrors[name] ? <span className="error-text">{fieldErrors[name]}</span> : null);

  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="new-session-form">
      <div className="field">
        <span>Mode</span>
        <div className="segmented" role="group" aria-label="Mode">
          {MODES.map((m) => (
            <button key={m.kind} type="button" aria-pressed={kind === m.kind} onClick={() => setKind(m.kind)}>
              {m.label}
            </button>
          ))}
        </div>
      </div>

      <label className="field">
        <span>Strategy</span>
        {strategies.length === 0 ? (
          <span className="hint">No strategies are available. Add a strategy module to the strategies folder (Settings).</span>
        ) : (
          <select
            aria-label="Strategy"
            value={strategyName}
            onChange={(e) => {
              const next = strategies.find((s) => s.name === e.target.value);
              setStrategyName(e.target.value);
              setParams(defaultParams(next));
              if (next) setInterval(next.interval);
            }}
          >
            {strategies.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        )}
        {strategy?.description && <span className="hint">{strategy.description}</span>}
        {fieldError('strategyName')}
      </label>

      {strategy && strategy.params.length > 0 && (
        <fieldset className="form" style={{ border: '1px solid var(--border)', borderRadius: 8, padding: 12, margin: 0 }} data-testid="strategy-params">
          <legend className="field-label" style={{ padding: '0 6px' }}>
            Parameters
          </legend>
          <div className="form-row">
            {strategy.params.map((p) => (
              <ParamInput key={p.name} field={p} value={params[p.name]} onChange={(v) => setParams({ ...params, [p.name]: v })} />
            ))}
          </div>
          {fieldError('params')}
        </fieldset>
      )}

      <div className="form-row">
        <label className="field">
          <span>Exchange</span>
          {kind === 'live' || exchanges.length === 0 ? (
            <input aria-label="Exchange" value={exchangeName} onChange={(e) => setExchangeName(e.target.value)} placeholder="binance" />
          ) : (
            <select aria-label="Exchange" value={exchangeName} onChange={(e) => setExchangeName(e.target.value)}>
              {exchanges.map((x) => (
                <option key={x}>{x}</option>
              ))}
            </select>
          )}
          {fieldError('exchangeName')}
        </label>
        <label className="field">
          <span>Interval</span>
          <select aria-label="Interval" value={interval} onChange={(e) => setInterval(e.target.value as Interval)}>
            {INTERVALS.map((i) => (
              <option key={i}>{i}</option>
            ))}
          </select>
          {fieldError('interval')}
        </label>
      </div>

      <div className="field">
        <span>Symbols</span>
        {kind === 'live' ? (
          <input
            aria-label="Symbols"
            placeholder="BTC/USDT, ETH/USDT"
            value={symbols.join(', ')}
            onChange={(e) => setSymbols(e.target.value.split(',').map((s) => s.trim()).filter(Boolean))}
          />
        ) : available.length === 0 ? (
          <span className="hint">
            No {interval} candles stored for {exchangeName || 'this exchange'}. Import or download some in{' '}
            <button type="button" className="link" onClick={() => navigate({ view: 'candles' })}>
              Candles
            </button>
            .
          </span>
        ) : (
          <div className="chips" role="group" aria-label="Symbols">
            {available.map((s) => (
              <button key={s.symbol} type="button" className="chip" aria-pressed={symbols.includes(s.symbol)} onClick={() => toggleSymbol(s.symbol)} data-symbol={s.symbol}>
                {s.symbol} <span className="faint num">{formatInt(s.count)}</span>
              </button>
            ))}
          </div>
        )}
        {fieldError('symbols')}
      </div>

      {kind !== 'live' && (
        <div className="form-row">
          <label className="field">
            <span>From (UTC)</span>
            <input aria-label="From" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
            {fieldError('from')}
          </label>
          <label className="field">
            <span>To (UTC)</span>
            <input aria-label="To" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
            {fieldError('to')}
          </label>
        </div>
      )}

      {kind === 'paper' && (
        <div className="field">
          <span>Replay speed</span>
          <div className="segmented" role="group" aria-label="Replay speed">
            {SPEEDS.map((s) => (
              <button key={s} type="button" aria-pressed={speed === s} onClick={() => setSpeed(s)}>
                {s === 0 ? 'Max' : `${s}×`}
              </button>
            ))}
          </div>
          {fieldError('replaySpeed')}
        </div>
      )}

      {error && (
        <div className="result bad" role="alert" data-testid="start-error">
          {error}
        </div>
      )}
      <div className="toolbar">
        <button className="btn primary" type="submit" disabled={submitting || !strategyName || symbols.length === 0}>
          {submitting ? 'Starting…' : kind === 'backtest' ? 'Start backtest' : kind === 'paper' ? 'Start paper replay' : 'Start live run'}
        </button>
        {onCancel && (
          <button className="btn ghost" type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
