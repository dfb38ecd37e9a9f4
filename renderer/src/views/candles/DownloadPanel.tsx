import { useState, type FormEvent, type ReactElement } from 'react';
import { INTERVALS, type Interval } from '../../../../shared/candles';
import type { ResponseOf } from '../../../../shared/contract/channels';
import { call, errorMessage } from '../../api/client';
import { OperationProgress } from '../../components/states';
import { useCandleProgress } from '../../stores/candle-progress';
import { formatDuration, formatInt, fromUtcInput, toUtcInput, UTC_INPUT_PLACEHOLDER } from '../../lib/format';

type DownloadResult = ResponseOf<'candles.download'>;

export function DownloadPanel({ defaults, onDownloaded }: { defaults: { exchangeName: string; symbol: string; interval: Interval }; onDownloaded(series: { exchangeName: string; symbol: string; interval: Interval }): void }): ReactElement {
  const [exchangeName, setExchange] = useState(defaults.exchangeName || 'binance');
  const [symbol, setSymbol] = useState(defaults.symbol || 'BTC/USDT');
  const [interval, setInterval] = useState<Interval>(defaults.interval);
  const [from, setFrom] = useState(toUtcInput(Date.now() - 7 * 86_400_000));
  const [to, setTo] = useState(toUtcInput(Date.now()));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<DownloadResult>();
  const [error, setError] = useState<string>();
  const progress = useCandleProgress((s) => s.byOperation.download);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    useCandleProgress.getState().clear('download');
    setError(undefined);
    setResult(undefined);
    try {
      const f = fromUtcInput(from);
      const t = fromUtcInput(to);
      if (f === undefined || t === undefined) throw new Error('from and to must be dates');
      setResult(await call('candles.download', { exchangeName, symbol, interval, from: f, to: t }));
      onDownloaded({ exchangeName, symbol, interval });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="download-form">
      <div className="form-row" style={{ gridTemplateColumns: '1fr 1fr 1fr' }}>
        <label className="field">
          <span>Exchange</span>
          <input aria-label="Download exchange" value={exchangeName} onChange={(e) => setExchange(e.target.value)} />
        </label>
        <label className="field">
          <span>Symbol</span>
          <input aria-label="Download symbol" value={symbol} onChange={(e) => setSymbol(e.target.value)} />
        </label>
        <label className="field">
          <span>Interval</span>
          <select aria-label="Download interval" value={interval} onChange={(e) => setInterval(e.target.value as Interval)}>
            {INTERVALS.map((i) => (
              <option key={i}>{i}</option>
            ))}
          </select>
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span>From (UTC)</span>
          <input aria-label="Download from" className="num utc-input" placeholder={UTC_INPUT_PLACEHOLDER} spellCheck={false} value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label className="field">
          <span>To (UTC)</span>
          <input aria-label="Download to" className="num utc-input" placeholder={UTC_INPUT_PLACEHOLDER} spellCheck={false} value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
      </div>
      <div className="toolbar" style={{ alignItems: 'center' }}>
        <button className="btn primary" type="submit" disabled={busy}>
          {busy ? 'Downloading…' : 'Download'}
        </button>
        {busy && (
          <OperationProgress
            testId="download-progress"
            label={`Fetching from ${exchangeName} within its rate limit…`}
            fraction={progress?.fraction}
            detail={progress ? `${formatInt(progress.count)} candles${progress.message && progress.message !== 'done' ? ` · ${progress.message}` : ''}` : undefined}
          />
        )}
      </div>
      {error && (
        <div className="result bad" role="alert">
          {error}
        </div>
      )}
      {result && (
        <div className="result ok" role="status" data-testid="download-result">
          {result.resumed ? 'Resumed after the newest stored candle: f' : 'F'}etched {formatInt(result.fetched)} candles in {formatInt(result.pages)} pages, {formatInt(result.inserted)} new
          {result.rejected > 0 && `, ${formatInt(result.rejected)} rejected (broke the candle rules)`} · {formatDuration(result.durationMs)}.
        </div>
      )}
    </form>
  );
}
