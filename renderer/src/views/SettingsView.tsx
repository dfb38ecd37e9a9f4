import { useState, type FormEvent, type ReactElement } from 'react';
import { OS_NOTIFICATION_TYPES, type ResponseOf, type Settings } from '../../../shared/contract/channels';
import { call, errorMessage } from '../api/client';
import { refreshDatabase } from '../api/session';
import { ErrorState, Loading, Panel } from '../components/states';
import { maskUri } from '../lib/format';
import { useAsync } from '../lib/use-async';
import { useSettings, type Theme } from '../stores/settings';

const OS_LABELS: Record<(typeof OS_NOTIFICATION_TYPES)[number], string> = {
  'signal.closed': 'A signal closes (take-profit or stop-loss)',
  'error.critical': 'A strategy fails (error.critical)',
  'run.completed': 'A run completes',
};

function ConnectionSection({ settings }: { settings: Settings }): ReactElement {
  // The field starts empty: the stored string comes back masked and must not be sent back as the password.
  const [value, setValue] = useState('');
  const [test, setTest] = useState<ResponseOf<'database.test'> | { error: string }>();
  const [busy, setBusy] = useState<'test' | 'save' | undefined>();
  const [saved, setSaved] = useState<string>();
  // Switching the database moves every later write (live runs, notifications) there: ask first.
  const [confirming, setConfirming] = useState(false);

  const run = async (what: 'test' | 'save', e?: FormEvent): Promise<void> => {
    e?.preventDefault();
    if (what === 'save' && !confirming) {
      setConfirming(true);
      return;
    }
    setConfirming(false);
    setBusy(what);
    setSaved(undefined);
    try {
      if (what === 'test') setTest(await call('database.test', { connectionString: value }));
      else {
        await call('database.connect', { connectionString: value });
        useSettings.getState().setSettings(await call('settings.get', {}));
        setSaved('Saved and connected.');
        void refreshDatabase();
      }
    } catch (error) {
      if (what === 'test') setTest({ error: errorMessage(error) });
      else setSaved(errorMessage(error));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <form className="form" onSubmit={(e) => void run('save', e)}>
      <label className="field">
        <span>Connection string</span>
        <input
          type="password"
          aria-label="Connection string"
          autoComplete="off"
          placeholder={settings.connectionString ? maskUri(settings.connectionString) : 'mongodb://localhost:27017/backtest-kit?wtimeoutMS=15000'}
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setConfirming(false);
          }}
        />
        <span className="hint">
          Current: <span className="mono">{settings.connectionString ? maskUri(settings.connectionString) : 'default (environment, local MongoDB, or the embedded server)'}</span>. The password is never shown.
        </span>
      </label>
      <div className="toolbar">
        <button type="button" className="btn" disabled={!value || !!busy} onClick={() => void run('test')} data-testid="test-connection">
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="submit" className="btn primary" disabled={!value || !!busy || confirming}>
          {busy === 'save' ? 'Connecting…' : 'Save and connect'}
        </button>
      </div>
      {confirming && (
        <div className="result" role="alertdialog" aria-label="Confirm database switch" data-testid="confirm-connect">
          <p>
            Switch the app to this database? Runs, notifications and candles will be read from and written to it from now on, and it becomes the
            database used at the next start. Only connect to a server you trust.
          </p>
          <div className="toolbar">
            <button type="button" className="btn primary" onClick={() => void run('save')} data-testid="confirm-connect-yes">
              Connect
            </button>
            <button type="button" className="btn" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {test &&
        ('error' in test && !('ok' in test) ? (
          <div className="result bad" role="alert">
            {test.error}
          </div>
        ) : 'ok' in test && test.ok ? (
          <div className="result ok" role="status" data-testid="test-result">
            Connected to {test.maskedUri}
            {test.serverVersion && ` · MongoDB ${test.serverVersion}`}
            {test.pingMs !== undefined && ` · ${test.pingMs.toFixed(1)} ms round trip`}
          </div>
        ) : (
          <div className="result bad" role="alert" data-testid="test-result">
            Cannot connect{'maskedUri' in test ? ` to ${test.maskedUri}` : ''}: {'error' in test ? test.error : 'unknown error'}
          </div>
        ))}
      {saved && <div className={`result ${saved.startsWith('Saved') ? 'ok' : 'bad'}`}>{saved}</div>}
    </form>
  );
}

/** Read-only: the app runs the code in this folder, so only the host's owner sets it (desktop dialog or command line). */
function StrategiesSection({ settings }: { settings: Settings }): ReactElement {
  return (
    <div className="form">
      <div className="field">
        <span>Strategies folder</span>
        <span className="mono" data-testid="strategies-dir">
          {settings.strategiesDir ?? 'none (built-in strategies only)'}
        </span>
        <span className="hint">
          TypeScript or JavaScript strategy modules in this folder are loaded at run time, next to the built-in ones. Because the app runs the code
          it finds there, the folder is chosen on the machine itself: in the desktop app with File → Choose strategies folder…, on the headless
          host with <span className="mono">--strategies-dir</span> or <span className="mono">BACKTEST_MONITOR_STRATEGIES_DIR</span>.
        </span>
      </div>
    </div>
  );
}

function OsNotificationsSection({ settings }: { settings: Settings }): ReactElement {
  const [error, setError] = useState<string>();
  const toggle = (type: (typeof OS_NOTIFICATION_TYPES)[number], on: boolean): void => {
    call('settings.set', { osNotifications: { [type]: on } })
      .then((s) => useSettings.getState().setSettings(s))
      .catch((err: unknown) => setError(errorMessage(err)));
  };
  return (
    <div className="form">
      {OS_NOTIFICATION_TYPES.map((t) => (
        <label key={t} style={{ display: 'flex', gap: 10, alignItems: 'center' }}>
          <input type="checkbox" checked={settings.osNotifications[t]} onChange={(e) => toggle(t, e.target.checked)} />
          <span>{OS_LABELS[t]}</span>
          <span className="type-tag">{t}</span>
        </label>
      ))}
      <span className="hint faint">Shown by the desktop app; the browser mode shows them in the Notifications feed only.</span>
      {error && <div className="result bad">{error}</div>}
    </div>
  );
}

function ThemeSection(): ReactElement {
  const theme = useSettings((s) => s.theme);
  const [error, setError] = useState<string>();
  const choose = (t: Theme): void => {
    useSettings.getState().setTheme(t);
    call('settings.set', { theme: t })
      .then((s) => useSettings.getState().setSettings(s))
      .catch((err: unknown) => setError(errorMessage(err)));
  };
  return (
    <div className="form">
      <div className="segmented" role="group" aria-label="Theme">
        {(['dark', 'light'] as const).map((t) => (
          <button key={t} type="button" aria-pressed={theme === t} onClick={() => choose(t)} style={{ textTransform: 'capitalize' }}>
            {t}
          </button>
        ))}
      </div>
      {error && <div className="result bad">{error}</div>}
    </div>
  );
}

export function SettingsView(): ReactElement {
  const settings = useAsync(() => call('settings.get', {}), []);
  const current = useSettings((s) => s.settings) ?? settings.data;
  return (
    <div className="page" data-testid="settings-view" style={{ maxWidth: 900 }}>
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      {settings.status === 'loading' && !current ? (
        <Loading label="Loading settings…" />
      ) : settings.status === 'error' && !current ? (
        <ErrorState title="Cannot load settings" error={settings.error} onRetry={settings.reload} />
      ) : current ? (
        <>
          <Panel title="Database">
            <ConnectionSection settings={current} />
          </Panel>
          <Panel title="Strategies">
            <StrategiesSection settings={current} />
          </Panel>
          <Panel title="OS notifications">
            <OsNotificationsSection settings={current} />
          </Panel>
          <Panel title="Theme">
            <ThemeSection />
          </Panel>
        </>
      ) : null}
    </div>
  );
}
