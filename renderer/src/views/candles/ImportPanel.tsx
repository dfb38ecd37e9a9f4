import { useRef, useState, type FormEvent, type ReactElement } from 'react';
import { INTERVALS } from '../../../../shared/candles';
import type { RequestOf, ResponseOf } from '../../../../shared/contract/channels';
import { ContractFailure } from '../../../../shared/contract/result';
import { seriesFromFileName, type SeriesHint } from '../../../../shared/series-from-file-name';
import { call, errorMessage, upload } from '../../api/client';
import { OperationProgress } from '../../components/states';
import { formatDuration, formatInt, formatTime } from '../../lib/format';
import { useCandleProgress } from '../../stores/candle-progress';

type ImportResult = ResponseOf<'candles.import'>;

/** How many rejected rows the result lists; the count says how many more there are. */
const SHOWN_ERRORS = 20;

/**
 * An issue's location as the user knows the file: the core may name the stored copy
 * (`<generated id>-name.json:candle 67`); the user picked `name.json`.
 */
export function userLocation(location: string, fileName: string | undefined): string {
  if (!fileName) return location;
  return location.replace(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[^:]*(?=:|$)/i, fileName);
}

export function ImportResultView({ result, fileName, skipInvalid }: { result: ImportResult; fileName?: string; skipInvalid?: boolean }): ReactElement {
  const shown = result.issues.slice(0, SHOWN_ERRORS);
  return (
    <div className={`result ${result.ok ? 'ok' : 'bad'}`} data-testid="import-result" data-ok={result.ok} role="status">
      <div>
        {result.ok ? 'Imported' : 'Nothing stored:'} {result.symbol} {result.interval} ({result.exchangeName}, {result.format}): {formatInt(result.rows)} rows read,{' '}
        <span data-testid="import-inserted">{formatInt(result.inserted)}</span> new, {formatInt(result.updated)} already stored
        {result.skipped > 0 && `, ${formatInt(result.skipped)} skipped`}
        {result.first !== undefined && ` · ${formatTime(result.first)} → ${formatTime(result.last)} UTC`} · {formatDuration(result.durationMs)}.
      </div>
      {result.issueCount > 0 && (
        <ul>
          {shown.map((r) => (
            <li key={`${r.location}-${r.rule}`} className="mono">
              {userLocation(r.location, fileName)}: {r.message}
            </li>
          ))}
          {result.issueCount > shown.length && <li>…and {formatInt(result.issueCount - shown.length)} more</li>}
        </ul>
      )}
      {!result.ok && result.issueCount > 0 && (
        <div className="dim">
          {skipInvalid
            ? 'Invalid rows were skipped, but nothing could be stored: fix the problems listed above (a cut-off or unreadable file cannot be partly imported).'
            : 'Fix the file, or tick “Skip invalid rows” to store the valid ones.'}
        </div>
      )}
    </div>
  );
}

const FIELD_LABELS: Record<string, string> = { source: 'File', exchangeName: 'Exchange', symbol: 'Symbol', interval: 'Interval', skipInvalid: 'Skip invalid rows' };

/**
 * An import error in the form's words: a payload the contract refused ("invalid candles.import
 * payload: source.text: …") becomes "File: …" per field; the importer's own messages (which
 * already name the file, the line and the field) are shown as they are.
 */
export function importErrorText(error: unknown): string {
  if (error instanceof ContractFailure && error.issues?.length && /^invalid [\w.]+ payload/.test(error.message)) {
    return error.issues.map((i) => `${FIELD_LABELS[i.path.split('.')[0] ?? ''] ?? i.path}: ${i.message}`).join('. ');
  }
  return errorMessage(error);
}

type ImportSource = RequestOf<'candles.import'>['source'];

/** A picked file's source for `candles.import`: uploaded first (streamed over HTTP to the headless host, IPC in the desktop app). */
async function pickedFileSource(file: File): Promise<ImportSource> {
  if (file.size === 0) throw new Error(`${file.name} is empty: choose a file with candles in it`);
  const { uploadId } = await upload(file, file.name);
  return { kind: 'upload', uploadId, fileName: file.name };
}

/** Import from a picked file (uploaded to the app first) or from a path in one of the host's import folders. */
export function ImportPanel({ exchangeName, onImported }: { exchangeName: string; onImported(result: ImportResult): void }): ReactElement {
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File>();
  const [path, setPath] = useState('');
  const [exchange, setExchange] = useState(exchangeName || 'binance');
  const [symbol, setSymbol] = useState('');
  const [interval, setInterval] = useState('');
  const [skipInvalid, setSkipInvalid] = useState(false);
  const [phase, setPhase] = useState<'idle' | 'reading' | 'importing'>('idle');
  const [result, setResult] = useState<{ out: ImportResult; fileName?: string; skipInvalid: boolean }>();
  const [error, setError] = useState<string>();
  /** What the picked file's name said, filled into the form (the user may change it). */
  const [guess, setGuess] = useState<{ fileName: string; hint: SeriesHint }>();

  const pick = (picked: File | undefined): void => {
    setFile(picked);
    setGuess(undefined);
    if (!picked) return;
    const hint = seriesFromFileName(picked.name);
    if (hint.symbol) setSymbol(hint.symbol);
    if (hint.interval) setInterval(hint.interval);
    if (hint.exchangeName) setExchange(hint.exchangeName);
    setGuess({ fileName: picked.name, hint });
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(undefined);
    setResult(undefined);
    try {
      let source: ImportSource;
      if (file) {
        setPhase('reading');
        source = await pickedFileSource(file);
      } else if (path.trim()) source = { kind: 'path', path: path.trim() };
      else throw new Error('choose a file or enter a path on the host');
      useCandleProgress.getState().clear('import');
      setPhase('importing');
      const out = await call('candles.import', {
        source,
        exchangeName: exchange,
        symbol: symbol.trim() || undefined,
        interval: (interval || undefined) as (typeof INTERVALS)[number] | undefined,
        skipInvalid,
      });
      setResult({ out, fileName: file?.name, skipInvalid });
      onImported(out);
    } catch (err) {
      setError(importErrorText(err));
    } finally {
      setPhase('idle');
    }
  };

  const busy = phase !== 'idle';
  const progress = useCandleProgress((s) => s.byOperation.import);
  return (
    <form className="form" onSubmit={(e) => void submit(e)} data-testid="import-form">
      {/* Top-aligned: the File field's format hint must not push the path input down. */}
      <div className="form-row" style={{ alignItems: 'start' }}>
        <label className="field">
          <span>File</span>
          <input
            ref={fileRef}
            type="file"
            accept=".csv,.json,text/csv,application/json"
            aria-label="Candle file"
            style={{ paddingTop: 4 }}
            onChange={(e) => pick(e.target.files?.[0])}
          />
          <span className="hint">Binance kline CSV, ccxt/freqtrade JSON, or a CSV with a timestamp,open,high,low,close,volume header.</span>
        </label>
        <label className="field">
          <span>…or a path on the host</span>
          <input aria-label="Path on the host" placeholder="/data/ETHBTC-1m-2018-01.binance.csv" value={path} onChange={(e) => setPath(e.target.value)} disabled={!!file} />
        </label>
      </div>
      <div className="form-row" style={{ gridTemplateColumns: '1fr 1fr 1fr' }}>
        <label className="field">
          <span>Exchange</span>
          <input aria-label="Import exchange" value={exchange} onChange={(e) => setExchange(e.target.value)} />
        </label>
        <label className="field">
          <span>Symbol</span>
          <input aria-label="Import symbol" placeholder="from the file name" value={symbol} onChange={(e) => setSymbol(e.target.value)} />
        </label>
        <label className="field">
          <span>Interval</span>
          <select aria-label="Import interval" value={interval} onChange={(e) => setInterval(e.target.value)}>
            <option value="">from the file name</option>
            {INTERVALS.map((i) => (
              <option key={i}>{i}</option>
            ))}
          </select>
        </label>
      </div>
      {guess && (
        <div className="dim" data-testid="import-guess">
          {guess.hint.symbol || guess.hint.interval
            ? `Filled in from the file name ${guess.fileName}: ${[guess.hint.exchangeName, guess.hint.symbol, guess.hint.interval].filter(Boolean).join(' ')}. Change them if they are wrong.`
            : `The name ${guess.fileName} does not say the symbol or interval: enter them.`}
        </div>
      )}
      <div className="toolbar" style={{ alignItems: 'center' }}>
        <label style={{ display: 'flex', gap: 6, alignItems: 'center' }} className="dim">
          <input type="checkbox" checked={skipInvalid} onChange={(e) => setSkipInvalid(e.target.checked)} /> Skip invalid rows
        </label>
        <button className="btn primary" type="submit" disabled={busy || (!file && !path.trim())}>
          {busy ? 'Importing…' : 'Import'}
        </button>
        {busy && (
          <OperationProgress
            testId="import-progress"
            label={phase === 'reading' ? `Uploading ${file?.name ?? 'file'}…` : 'Validating and storing candles…'}
            fraction={phase === 'importing' ? progress?.fraction : undefined}
            detail={phase === 'importing' && progress ? `${formatInt(progress.count)} rows` : undefined}
          />
        )}
      </div>
      {error && (
        <div className="result bad" role="alert" data-testid="import-error">
          {error}
        </div>
      )}
      {result && <ImportResultView result={result.out} fileName={result.fileName} skipInvalid={result.skipInvalid} />}
    </form>
  );
}
