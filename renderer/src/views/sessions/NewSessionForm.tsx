import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { INTERVALS, INTERVAL_MS, type Interval } from '../../../../shared/candles';
import { DEFAULT_ACCOUNT, type ParamField, type RunKind, type RunRequest, type StrategyInfo, type StrategyParams } from '../../../../shared/contract/domain';
import { call } from '../../api/client';
import { refreshRuns } from '../../api/session';
import { ErrorState, Loading } from '../../components/states';
import { formatInt, formatTime, fromUtcInput, toUtcInput, UTC_INPUT_PLACEHOLDER } from '../../lib/format';
import { useAsync } from '../../lib/use-async';
import { useRerun } from '../../stores/rerun';
import { navigate } from '../../stores/route';
import { candleIntervalOf, explainStartError, runnableSeries, validateForm, visibleSymbols, type FieldErrors, type StoredSeries } from './session-form';

const MODES: Array<{ kind: RunKind; label: string }> = [
  { kind: 'backtest', label: 'Backtest' },
  { kind: 'live', label: 'Live' },
  { kind: 'paper', label: 'Paper replay' },
];

/** Replay speeds as multiples of real time (1 = one candle per interval); 0 means as fast as the engine goes. */
const SPEEDS = [1, 10, 60, 600, 3600, 0] as const;

type Series = StoredSeries;

function defaultParams(strategy: StrategyInfo | undefined): StrategyParams {
  const out: StrategyParams = {};
  for (const p of strategy?.params ?? []) if (p.default !== undefined) out[p.name] = p.default;
  return out;
}

function ParamInput({ field, value, error, onChange }: { field: ParamField; value: StrategyParams[string] | undefined; error?: string; onChange(v: StrategyParams[string]): void }): ReactElement {
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
        aria-invalid={error ? true : undefined}
        aria-label={field.label}
        aria-describedby={field.description ? `${id}-hint` : undefined}
        // An emptied number field is NaN, which the form's check reports, instead of a silent 0.
        onChange={(e) => onChange(numeric ? (e.target.value === '' ? Number.NaN : Number(e.target.value)) : e.target.value)}
      />
      {field.description && (
        <span className="hint" id={`${id}-hint`}>
          {field.description}
        </span>
      )}
      {error && (
        <span className="error-text" data-testid={`error-param-${field.name}`}>
          {error}
        </span>
      )}
    </label>
  );
}

/** Text field for a number, kept as typed so "0." or "" can be edited and checked. */
function NumberField({ label, value, onChange, error, hint, suffix }: { label: string; value: string; onChange(v: string): void; error?: string; hint?: string; suffix?: string }): ReactElement {
  return (
    <label className="field">
      <span>{label}</span>
      <div className="input-suffix">
        <input aria-label={label} className="num" inputMode="decimal" value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined} />
        {suffix && <span className="faint">{suffix}</span>}
      </div>
      {hint && <span className="hint">{hint}</span>}
      {error && <span className="error-text">{error}</span>}
    </label>
  );
}

export function NewSessionForm({ onCancel, initial }: { onCancel?(): void; initial?: RunRequest }): ReactElement {
  const data = useAsync(async () => {
    const [strategies, symbols] = await Promise.all([call('strategies.list', {}), call('candles.symbols', {})]);
    return { strategies: strategies.strategies, series: symbols.series as Series[] };
  }, []);

  const [kind, setKind] = useState<RunKind>(initial?.kind ?? 'backtest');
  const [strategyName, setStrategyName] = useState(initial?.strategyName ?? '');
  const [params, setParams] = useState<StrategyParams>(initial?.params ?? {});
  const [exchangeName, setExchangeName] = useState(initial?.exchangeName ?? '');
  const [interval, setInterval] = useState<Interval>(initial?.interval ?? '1m');
  const [symbols, setSymbols] = useState<string[]>(initial?.symbols ?? []);
  const [from, setFrom] = useState(initial?.from !== undefined ? toUtcInput(initial.from) : '');
  const [to, setTo] = useState(initial?.to !== undefined ? toUtcInput(initial.to) : '');
  const [speed, setSpeed] = useState<number>(initial?.kind === 'paper' ? initial.replaySpeed : 600);
  const [startingBalance, setStartingBalance] = useState(String(initial?.account?.startingBalance ?? DEFAULT_ACCOUNT.startingBalance));
  const [positionSize, setPositionSize] = useState(String(initial?.account?.positionSizePercent ?? DEFAULT_ACCOUNT.positionSizePercent));
  const [fee, setFee] = useState(String(initial?.costs.feePercent ?? 0.1));
  const [slippage, setSlippage] = useState(String(initial?.costs.slippagePercent ?? 0.1));
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  // A re-run keeps its range until the user picks other symbols.
  const keepRange = useRef(initial !== undefined);

  const strategies = data.data?.strategies ?? [];
  const series = useMemo(() => data.data?.series ?? [], [data.data]);
  const strategy = strategies.find((s) => s.name === strategyName);
  const exchanges = useMemo(() => [...new Set(series.map((s) => s.exchangeName))].sort(), [series]);
  // A backtest-kit file reads 1m candles whatever the run's interval: its chips are the stored 1m series.
  const candleInterval = candleIntervalOf(strategy, interval);
  const available = useMemo(() => runnableSeries(series, exchangeName, candleInterval), [series, exchangeName, candleInterval]);

  // Sensible defaults as soon as the lists arrive: the first strategy and what is stored.
  useEffect(() => {
    if (!data.data) return;
    const first = data.data.strategies[0];
    if (first && !strategyName && !initial) {
      setStrategyName(first.name);
      setParams(defaultParams(first));
    }
    const s0 = data.data.series[0];
    if (s0 && !exchangeName && !initial) {
      setExchangeName(s0.exchangeName);
      setInterval(s0.interval);
    } else if (!s0 && !exchangeName) setExchangeName('binance');
  }, [data.data]);

  // Preselect the first stored symbol so a first backtest is one click away.
  const preselected = useRef(false);
  useEffect(() => {
    const first = available[0];
    if (!preselected.current && kind !== 'live' && first && !initial) {
      preselected.current = true;
      setSymbols((s) => (s.length ? s : [first.symbol]));
    }
  }, [available, kind]);

  // The date range follows the chosen symbols' stored range until the user edits it.
  const chosen = available.filter((s) => symbols.includes(s.symbol));
  useEffect(() => {
    if (keepRange.current) {
      keepRange.current = false;
      return;
    }
    const firsts = chosen.map((s) => s.first).filter((v): v is number => v !== null);
    const lasts = chosen.map((s) => s.last).filter((v): v is number => v !== null);
    if (firsts.length && lasts.length) {
      setFrom(toUtcInput(Math.max(...firsts)));
      setTo(toUtcInput(Math.min(...lasts) + INTERVAL_MS[candleInterval]));
    }
  }, [symbols.join(','), exchangeName, candleInterval]);

  // Errors describe the form as it was sent: any edit clears them, so none goes stale.
  const formKey = JSON.stringify([kind, strategyName, params, exchangeName, interval, symbols, from, to, speed, startingBalance, positionSize, fee, slippage]);
  const sentKey = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (sentKey.current !== undefined && sentKey.current !== formKey) {
      sentKey.current = undefined;
      setError(undefined);
      setFieldErrors({});
    }
  }, [formKey]);

  if (data.status === 'loading') return <Loading label="Loading strategies and stored candles…" />;
  if (data.status === 'error') return <ErrorState title="Cannot prepare a new session" error={data.error} onRetry={data.reload} />;

  const toggleSymbol = (symbol: string): void => {
    setSymbols((s) => (s.includes(symbol) ? s.filter((x) => x !== symbol) : [...s, symbol]));
  };

  // Only the chips on screen count: a symbol chosen under another interval or exchange stays hidden and is never sent.
  const sendSymbols = visibleSymbols(kind, symbols, available);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    sentKey.current = formKey;
    const problems = validateForm({
      kind,
      params,
      paramFields: strategy?.params ?? [],
      symbols,
      available,
      intervalMs: INTERVAL_MS[candleInterval],
      from,
      to,
      startingBalance,
      positionSizePercent: positionSize,
      feePercent: fee,
      slippagePercent: slippage,
    });
    if (Object.keys(problems).length > 0) {
      setFieldErrors(problems);
      setError(Object.values(problems).join('. '));
      return;
    }
    setSubmitting(true);
    setError(undefined);
    setFieldErrors({});
    try {
      const { runId } = await call('runs.start', {
        kind,
        strategyName,
        params,
        exchangeName,
        symbols: sendSymbols,
        interval,
        from: kind === 'live' ? undefined : fromUtcInput(from),
        to: kind === 'live' ? undefined : fromUtcInput(to),
        replaySpeed: kind === 'paper' ? speed : undefined,
        costs: { feePercent: Number(fee), slippagePercent: Number(slippage) },
        account: { startingBalance: Number(startingBalance), positionSizePercent: Number(positionSize) },
      });
      void refreshRuns();
      if (initial) useRerun.getState().set(undefined);
      navigate({ view: 'sessions', runId });
    } catch (err) {
      const explained = explainStartError(err, strategy?.params ?? []);
      setFieldErrors(explained.fieldErrors);
      setError(explained.message);
    } finally {
      setSubmitting(false);
    }
  };

  const fieldError = (name: string): ReactElement | null => (fieldErrors[name] ? <span className="error-text">{fieldErrors[name]}</span> : null);

  return (
    // noValidate: the form says what is wrong itself, beside the field, instead of the browser tooltip.
    <form className="form" noValidate onSubmit={(e) => void submit(e)} data-testid="new-session-form">
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
              <ParamInput key={p.name} field={p} value={params[p.name]} error={fieldErrors[`param.${p.name}`]} onChange={(v) => setParams({ ...params, [p.name]: v })} />
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
        <span>
          Symbols
          {kind !== 'live' && candleInterval !== interval && (
            <span className="faint" data-testid="candle-interval-hint">
              {' '}
              · stored {candleInterval} candles: {strategyName} reads {candleInterval} candles on a {interval} frame
            </span>
          )}
        </span>
        {kind === 'live' ? (
          <input
            aria-label="Symbols"
            placeholder="BTC/USDT, ETH/USDT"
            value={symbols.join(', ')}
            onChange={(e) => setSymbols(e.target.value.split(',').map((s) => s.trim()).filter(Boolean))}
          />
        ) : available.length === 0 ? (
          <span className="hint">
            No {candleInterval} candles stored for {exchangeName || 'this exchange'}{candleInterval !== interval ? ` (${strategyName} reads ${candleInterval} candles at every interval)` : ''}. Import or download some in{' '}
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
            <input aria-label="From" className="num" placeholder={UTC_INPUT_PLACEHOLDER} spellCheck={false} value={from} onChange={(e) => setFrom(e.target.value)} aria-invalid={fieldErrors.from ? true : undefined} />
            {fieldError('from')}
          </label>
          <label className="field">
            <span>To (UTC)</span>
            <input aria-label="To" className="num" placeholder={UTC_INPUT_PLACEHOLDER} spellCheck={false} value={to} onChange={(e) => setTo(e.target.value)} aria-invalid={fieldErrors.to ? true : undefined} />
            {fieldError('to')}
          </label>
          {chosen.length > 0 && (
            <span className="hint faint" style={{ gridColumn: '1 / -1', marginTop: -6, fontSize: 12 }} data-testid="stored-range">
              Stored: {chosen.map((s) => `${s.symbol} ${formatTime(s.first)} → ${formatTime(s.last === null ? null : s.last + INTERVAL_MS[candleInterval])}`).join(' · ')} UTC
            </span>
          )}
        </div>
      )}

      <fieldset className="form" style={{ border: '1px solid var(--border)', borderRadius: 8, padding: 12, margin: 0 }} data-testid="account-costs">
        <legend className="field-label" style={{ padding: '0 6px' }}>
          Account and costs
        </legend>
        <div className="form-row">
          <NumberField label="Starting balance" value={startingBalance} onChange={setStartingBalance} error={fieldErrors.startingBalance} />
          <NumberField label="Position size" value={positionSize} onChange={setPositionSize} error={fieldErrors.positionSizePercent} suffix="% of balance" />
          <NumberField label="Fee per side" value={fee} onChange={setFee} error={fieldErrors.feePercent} suffix="%" />
          <NumberField label="Slippage per side" value={slippage} onChange={setSlippage} error={fieldErrors.slippagePercent} suffix="%" />
        </div>
      </fieldset>

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
        <button className="btn primary" type="submit" disabled={submitting || !strategyName}>
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
