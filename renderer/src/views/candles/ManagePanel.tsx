import { useState, type ReactElement } from 'react';
import type { Interval } from '../../../../shared/candles';
import type { ResponseOf } from '../../../../shared/contract/channels';
import { call, errorMessage } from '../../api/client';
import { OperationProgress } from '../../components/states';
import { formatDuration, formatInt, formatTime } from '../../lib/format';
import { useCandleProgress } from '../../stores/candle-progress';
import { exportToFile } from './export-file';

interface Series {
  exchangeName: string;
  symbol: string;
  interval: Interval;
}

type Scope = 'range' | 'series';
type Busy = 'export' | 'count' | 'delete' | 'backfill' | undefined;
type BackfillResult = ResponseOf<'candles.backfill'>;

const seriesLabel = (s: Series): string => `${s.exchangeName} ${s.symbol} ${s.interval}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${formatInt(n)} ${n === 1 ? one : many}`;

/**
 * Export, delete and backfill for the series on screen: the range shown (From → To) or the whole
 * series. A delete always asks first with the number of candles it will remove, and is refused if
 * that number changed in between; nothing outside the series and range is touched.
 */
export function ManagePanel({ series, range, onChanged }: { series: Series; range?: { from: number; to: number }; onChanged(): void }): ReactElement {
  const [scope, setScope] = useState<Scope>('range');
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [busy, setBusy] = useState<Busy>();
  const [exportRows, setExportRows] = useState<{ rows: number; total: number }>();
  const [confirm, setConfirm] = useState<{ count: number; from?: number; to?: number }>();
  const [message, setMessage] = useState<{ ok: boolean; text: string; testId: string }>();
  const [backfill, setBackfill] = useState<BackfillResult>();
  const progress = useCandleProgress((s) => s.byOperation.backfill);

  const bounds = scope === 'range' && range ? { from: range.from, to: range.to } : {};
  const scopeText = scope === 'range' && range ? `${formatTime(range.from)} → ${formatTime(range.to)} UTC` : 'the whole series';

  const run = async (what: Busy, work: () => Promise<void>): Promise<void> => {
    setBusy(what);
    setMessage(undefined);
    try {
      await work();
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error), testId: 'manage-error' });
    } finally {
      setBusy(undefined);
    }
  };

  const doExport = (): Promise<void> =>
    run('export', async () => {
      setExportRows(undefined);
      const done = await exportToFile({ ...series, ...bounds, format }, (rows, total) => setExportRows({ rows, total }));
      setMessage({ ok: true, text: `Exported ${formatInt(done.rows)} candles of ${seriesLabel(series)} (${scopeText}) as ${done.fileName}.`, testId: 'export-result' });
    });

  const askDelete = (): Promise<void> =>
    run('count', async () => {
      setBackfill(undefined);
      const { count } = await call('candles.delete', { ...series, ...bounds, dryRun: true });
      if (count === 0) {
        setMessage({ ok: true, text: `Nothing to delete: no ${seriesLabel(series)} candles in ${scopeText}.`, testId: 'delete-result' });
        return;
      }
      setConfirm({ count, ...bounds });
    });

  const doDelete = (): Promise<void> =>
    run('delete', async () => {
      if (!confirm) return;
      const { from, to, count } = confirm;
      setConfirm(undefined);
      const out = await call('candles.delete', { ...series, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), dryRun: false, expected: count });
      setMessage({ ok: true, text: `Deleted ${formatInt(out.deleted)} candles of ${seriesLabel(series)} (${scopeText}). Nothing else was touched.`, testId: 'delete-result' });
      onChanged();
    });

  const doBackfill = (): Promise<void> =>
    run('backfill', async () => {
      setBackfill(undefined);
      useCandleProgress.getState().clear('backfill');
      const out = await call('candles.backfill', { ...series, ...bounds });
      setBackfill(out);
      onChanged();
    });

  return (
    <div className="form" data-testid="manage-form">
      <div className="toolbar" style={{ alignItems: 'flex-end' }}>
        <label className="field">
          <span>Apply to</span>
          <select aria-label="Apply to" value={scope} onChange={(e) => setScope(e.target.value as Scope)} disabled={!!busy}>
            <option value="range" disabled={!range}>
              the range shown (From → To)
            </option>
            <option value="series">the whole series</option>
          </select>
        </label>
        <label className="field">
          <span>Format</span>
          <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'json')} disabled={!!busy}>
            <option value="csv">CSV (timestamp,open,high,low,close,volume)</option>
            <option value="json">JSON (ccxt rows)</option>
          </select>
        </label>
        <button type="button" className="btn" onClick={() => void doExport()} disabled={!!busy}>
          {busy === 'export' ? 'Exporting…' : 'Export'}
        </button>
        <button type="button" className="btn" onClick={() => void doBackfill()} disabled={!!busy}>
          {busy === 'backfill' ? 'Backfilling…' : 'Backfill gaps'}
        </button>
        <button type="button" className="btn danger" onClick={() => void askDelete()} disabled={!!busy || !!confirm}>
          Delete…
        </button>
      </div>
      <div className="dim">
        {seriesLabel(series)}, {scopeText}. Backfill downloads only the missing candles from {series.exchangeName}; export files import back unchanged.
      </div>
      {busy === 'export' && exportRows && <OperationProgress testId="export-progress" label="Reading candles…" fraction={exportRows.total ? exportRows.rows / exportRows.total : undefined} detail={`${formatInt(exportRows.rows)} of ${formatInt(exportRows.total)}`} />}
      {busy === 'backfill' && (
        <OperationProgress
          testId="backfill-progress"
          label={`Downloading the missing candles from ${series.exchangeName}…`}
          fraction={progress?.fraction}
          detail={progress ? `${formatInt(progress.count)} fetched${progress.message && progress.message !== 'done' ? ` · ${progress.message}` : ''}` : undefined}
        />
      )}
      {confirm && (
        <div className="result bad" role="alertdialog" aria-label="Confirm delete" data-testid="delete-confirm">
          <div>
            Delete <strong data-testid="delete-count">{formatInt(confirm.count)}</strong> candles of {seriesLabel(series)} ({scopeText})? They are removed from the database; other
            series and candles outside this range stay. This cannot be undone (download or import them again to get them back).
          </div>
          <div className="toolbar" style={{ marginTop: 8 }}>
            <button type="button" className="btn danger" onClick={() => void doDelete()}>
              Delete {formatInt(confirm.count)} candles
            </button>
            <button type="button" className="btn" onClick={() => setConfirm(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {message && (
        <div className={`result ${message.ok ? 'ok' : 'bad'}`} role={message.ok ? 'status' : 'alert'} data-testid={message.testId}>
          {message.text}
        </div>
      )}
      {backfill && <BackfillResultView result={backfill} />}
    </div>
  );
}

function BackfillResultView({ result }: { result: BackfillResult }): ReactElement {
  const ok = result.failures.length === 0 && !result.stopped;
  return (
    <div className={`result ${ok ? 'ok' : 'bad'}`} role="status" data-testid="backfill-result">
      <div>
        {result.gaps === 0
          ? 'No gaps: nothing to download.'
          : `${plural(result.gaps, 'gap')}, ${plural(result.missingBefore, 'candle')} missing: fetched ${formatInt(result.fetched)}, ${formatInt(result.inserted)} new; ${formatInt(result.missingAfter)} still missing${result.missingAfter > 0 && result.failures.length === 0 ? ' (the exchange has none for them either)' : ''}.`}{' '}
        {formatDuration(result.durationMs)}.
      </div>
      {result.failures.length > 0 && (
        <ul>
          {result.failures.slice(0, 10).map((f) => (
            <li key={f.from} className="mono">
              {formatTime(f.from)} → {formatTime(f.to)} ({formatInt(f.missing)} missing): {f.message}
            </li>
          ))}
          {result.failures.length > 10 && <li>…and {plural(result.failures.length - 10, 'more gap')} failed</li>}
        </ul>
      )}
      {result.stopped && <div className="dim">{result.stopped}.</div>}
    </div>
  );
}
