import type { ReactElement, ReactNode } from 'react';
import { Icon } from './icons';

export function Loading({ label = 'Loading…' }: { label?: string }): ReactElement {
  return (
    <div className="state-box" role="status" aria-live="polite" data-state="loading">
      <div className="spinner" />
      <p>{label}</p>
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }): ReactElement {
  return (
    <div className="state-box" data-state="empty">
      <Icon name="inbox" size={28} />
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function ErrorState({ title = 'Something went wrong', error, onRetry }: { title?: string; error: string; onRetry?: () => void }): ReactElement {
  return (
    <div className="state-box error" role="alert" data-state="error">
      <Icon name="alert" size={28} />
      <h3>{title}</h3>
      <p className="mono">{error}</p>
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry}>
          <Icon name="refresh" size={14} /> Retry
        </button>
      )}
    </div>
  );
}

export function ProgressBar({ value, status }: { value: number; status?: string }): ReactElement {
  const pct = Math.max(0, Math.min(1, value)) * 100;
  const cls = status === 'completed' ? 'done' : status === 'failed' ? 'failed' : '';
  return (
    <div className={`progress ${cls}`} role="progressbar" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100}>
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}

export function StatusPill({ status }: { status: string }): ReactElement {
  return (
    <span className={`status ${status}`} data-status={status}>
      {status === 'running' && <span className="dot ok" style={{ marginRight: 0 }} />}
      {status}
    </span>
  );
}

export function Panel({ title, actions, children, flush, testId }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; flush?: boolean; testId?: string }): ReactElement {
  return (
    <section className="panel" data-testid={testId}>
      {(title || actions) && (
        <header className="panel-head">
          {title && <h2>{title}</h2>}
          <div className="spacer" />
          {actions}
        </header>
      )}
      <div className={`panel-body${flush ? ' flush' : ''}`}>{children}</div>
    </section>
  );
}

/** Progress of a long import or download: a bar when the fraction is known, a spinner until then. */
export function OperationProgress({ label, fraction, detail, testId }: { label: string; fraction?: number; detail?: string; testId?: string }): ReactElement {
  return (
    <div style={{ display: 'flex', alignItems: 'center', gap: 10 }} role="status" data-testid={testId}>
      {fraction === undefined ? <div className="spinner" style={{ width: 16, height: 16 }} /> : <ProgressBar value={fraction} />}
      <span className="dim">
        {label}
        {fraction !== undefined && ` ${Math.round(fraction * 100)}%`}
        {detail && ` · ${detail}`}
      </span>
    </div>
  );
}
