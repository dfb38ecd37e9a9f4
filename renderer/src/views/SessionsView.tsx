import { useState, type ReactElement } from 'react';
import { Icon } from '../components/icons';
import { Panel } from '../components/states';
import { useRoute } from '../stores/route';
import { useCompare } from '../stores/compare';
import { useRerun } from '../stores/rerun';
import { isActive, useRuns } from '../stores/runs';
import { ComparePage } from './sessions/ComparePage';
import { NewSessionForm } from './sessions/NewSessionForm';
import { RunPage } from './sessions/RunPage';
import { RunsList } from './sessions/RunsList';

export function SessionsView(): ReactElement {
  const runId = useRoute((r) => r.runId);
  const [showForm, setShowForm] = useState(true);
  const active = useRuns((s) => Object.values(s.byId).filter(isActive).length);
  const rerun = useRerun((s) => s.request);
  const rerunVersion = useRerun((s) => s.version);
  const compareIds = useCompare((s) => s.ids);
  const compareOpen = useCompare((s) => s.open);
  if (runId) return <RunPage key={runId} runId={runId} />;
  if (compareOpen && compareIds.length > 1) return <ComparePage />;
  return (
    <div className="page" data-testid="sessions-view">
      <div className="page-head">
        <h1>Sessions</h1>
        <span className="sub">{active > 0 ? `${active} running` : 'Backtests, paper replays and live runs'}</span>
        <div className="spacer" />
        {!showForm && (
          <button type="button" className="btn primary" onClick={() => setShowForm(true)}>
            <Icon name="plus" size={14} /> New session
          </button>
        )}
      </div>
      <div className={showForm || rerun ? 'split' : undefined}>
        {(showForm || rerun) && (
          <Panel title={rerun ? 'Re-run with edited settings' : 'New session'} testId="new-session">
            <NewSessionForm
              key={rerunVersion}
              initial={rerun}
              onCancel={() => {
                setShowForm(false);
                useRerun.getState().set(undefined);
              }}
            />
          </Panel>
        )}
        <Panel
          title="Runs"
          flush
          actions={
            compareIds.length > 0 ? (
              <button type="button" className="btn small primary" disabled={compareIds.length < 2} onClick={() => useCompare.getState().setOpen(true)} data-testid="compare-open">
                Compare {compareIds.length} {compareIds.length === 1 ? 'run (tick another)' : 'runs'}
              </button>
            ) : (
              <span className="faint" style={{ fontSize: 12 }}>
                Tick runs to compare them
              </span>
            )
          }
        >
          <RunsList />
        </Panel>
      </div>
    </div>
  );
}
