import { useEffect, useState, type CSSProperties, type ReactElement, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { RunSummary } from '../../../../shared/contract/domain';
import { ContractFailure } from '../../../../shared/contract/result';
import { RUN_NAME_MAX } from '../../../../shared/domain/runs';
import { call, errorMessage } from '../../api/client';
import { refreshNotifications, refreshRuns } from '../../api/session';
import { useCompare } from '../../stores/compare';
import { useNotifications } from '../../stores/notifications';
import { isActive } from '../../stores/runs';

/** What a run is called in lists and headings: the user's name, else its strategy. */
export function runTitle(run: Pick<RunSummary, 'name' | 'strategyName'>): string {
  return run.name ?? run.strategyName;
}

/** The same rules as runs.rename, in the words the dialog shows (the backend checks them again). */
export function nameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (!trimmed) return 'Give the run a name.';
  if (trimmed.length > RUN_NAME_MAX) return `A name has at most ${RUN_NAME_MAX} characters (this one has ${trimmed.length}).`;
  if (/\p{Cc}/u.test(trimmed)) return 'A name is one line, without tabs or other control characters.';
  return undefined;
}

/** A refusal from the backend in plain words: the field's own message rather than the channel's. */
function refusal(error: unknown): string {
  if (error instanceof ContractFailure) {
    if (error.code === 'conflict') return error.message.replace(/^the run is (\w+): /, 'This run is $1: ');
    const issue = error.issues?.[0];
    if (issue?.path === 'name') return `The name ${issue.message}.`;
  }
  return errorMessage(error);
}

function Dialog({ label, onClose, children, testId }: { label: string; onClose: () => void; children: ReactNode; testId: string }): ReactElement {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  // On <body>, out of the table row it is opened from; React still bubbles its clicks to that row, hence the stop.
  return createPortal(
    <div className="overlay" onMouseDown={onClose} onClick={(e) => e.stopPropagation()}>
      <div className="palette" style={{ width: 'min(480px, 92vw)' }} role="dialog" aria-modal="true" aria-label={label} data-testid={testId} onMouseDown={(e) => e.stopPropagation()}>
        {children}
      </div>
    </div>,
    document.body,
  );
}

function RenameDialog({ run, onClose }: { run: RunSummary; onClose: () => void }): ReactElement {
  const [name, setName] = useState(run.name ?? run.strategyName);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);
  const problem = nameProblem(name);
  // A problem shows once the user has typed (not for the name the dialog opens with).
  const shown = error ?? (dirty ? problem : undefined);
  const save = (): void => {
    if (problem) return setError(problem);
    setBusy(true);
    call('runs.rename', { runId: run.runId, name })
      .then(async () => {
        await refreshRuns();
        onClose();
      })
      .catch((err: unknown) => setError(refusal(err)))
      .finally(() => setBusy(false));
  };
  return (
    <Dialog label="Rename run" onClose={onClose} testId="rename-dialog">
      <form
        style={BODY}
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        <h2 style={HEADING}>Rename run</h2>
        <label style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
          Name
          <input
            autoFocus
            aria-label="Run name"
            value={name}
            maxLength={RUN_NAME_MAX * 2}
            onChange={(e) => {
              setName(e.target.value);
              setDirty(true);
              setError(undefined);
            }}
          />
        </label>
        <div className="faint">
          {run.strategyName} · {run.symbols.join(', ')} · {run.interval} · {name.trim().length}/{RUN_NAME_MAX}
        </div>
        {shown && (
          <div className="result bad" role="alert" data-testid="rename-error">
            {shown}
          </div>
        )}
        <div style={ACTIONS}>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={busy || problem !== undefined} data-testid="rename-save">
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteDialog({ run, onClose, onDeleted }: { run: RunSummary; onClose: () => void; onDeleted?: () => void }): ReactElement {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const trades = run.stats ? `${run.stats.trades} trade${run.stats.trades === 1 ? '' : 's'}` : 'its trades';
  const remove = (): void => {
    setBusy(true);
    call('runs.delete', { runId: run.runId })
      .then(async () => {
        if (useCompare.getState().ids.includes(run.runId)) useCompare.getState().toggle(run.runId);
        // An inbox filtered to this run would show nothing from now on.
        if (useNotifications.getState().filters.runId === run.runId) useNotifications.getState().setFilters({ runId: undefined });
        onDeleted?.();
        await Promise.all([refreshRuns(), refreshNotifications()]);
        onClose();
      })
      .catch((err: unknown) => {
        setError(refusal(err));
        setBusy(false);
      });
  };
  return (
    <Dialog label="Delete run" onClose={onClose} testId="delete-dialog">
      <div style={BODY}>
        <h2 style={HEADING}>Delete “{runTitle(run)}”?</h2>
        <p>
          This removes the run with {trades}, its notifications and the State and Memory of its signals, here and in the database. It cannot be undone.
        </p>
        <div className="faint">
          {run.strategyName} · {run.symbols.join(', ')} · {run.interval} · {run.runId}
        </div>
        {error && (
          <div className="result bad" role="alert">
            {error}
          </div>
        )}
        <div style={ACTIONS}>
          <button type="button" className="btn" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button type="button" className="btn danger" disabled={busy} onClick={remove} data-testid="delete-confirm">
            {busy ? 'Deleting…' : 'Delete run'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

const BODY: CSSProperties = { display: 'flex', flexDirection: 'column', gap: 10, padding: 18 };
const ACTIONS: CSSProperties = { display: 'flex', justifyContent: 'flex-end', gap: 8, marginTop: 4 };
const HEADING: CSSProperties = { margin: 0, fontSize: 16, overflowWrap: 'anywhere' };
const ICON_BUTTON: CSSProperties = { padding: '0 5px', minWidth: 0 };

const PENCIL = 'M4 20h4L19 9l-4-4L4 16zM14 6l4 4';
const BIN = 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6';

function Glyph({ d }: { d: string }): ReactElement {
  return (
    <svg width={13} height={13} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <path d={d} />
    </svg>
  );
}

/**
 * Rename and Delete for one run. `compact`: icon buttons for the runs list; otherwise labelled
 * buttons for the run page. Delete is offered for finished runs only (a running one: stop it first).
 */
export function RunActions({ run, compact, onDeleted }: { run: RunSummary; compact?: boolean; onDeleted?: () => void }): ReactElement {
  const [open, setOpen] = useState<'rename' | 'delete'>();
  const active = isActive(run);
  const title = runTitle(run);
  return (
    <>
      <button
        type="button"
        className={compact ? 'btn ghost small' : 'btn small'}
        style={compact ? ICON_BUTTON : undefined}
        aria-label={`Rename ${title}`}
        title="Rename this run"
        data-testid="rename-run"
        onClick={(e) => {
          e.stopPropagation();
          setOpen('rename');
        }}
      >
        {compact ? <Glyph d={PENCIL} /> : 'Rename…'}
      </button>
      <button
        type="button"
        className={compact ? 'btn ghost small' : 'btn small danger'}
        style={compact ? ICON_BUTTON : undefined}
        aria-label={`Delete ${title}`}
        title={active ? 'Stop the run first, then delete it' : 'Delete this run, its trades and notifications'}
        disabled={active}
        data-testid="delete-run"
        onClick={(e) => {
          e.stopPropagation();
          setOpen('delete');
        }}
      >
        {compact ? <Glyph d={BIN} /> : 'Delete…'}
      </button>
      {open === 'rename' && <RenameDialog run={run} onClose={() => setOpen(undefined)} />}
      {open === 'delete' && <DeleteDialog run={run} onClose={() => setOpen(undefined)} onDeleted={onDeleted} />}
    </>
  );
}
