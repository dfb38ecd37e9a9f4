import { useState, type ReactElement } from 'react';
import { Icon } from '../components/icons';
import { Panel } from '../components/states';
import { useRoute } from '../stores/route';
import { isActive, useRuns } from '../stores/runs';
import { NewSessionForm } from './sessions/NewSessionForm';
import { RunPage } from './sessions/RunPage';
import { RunsList } from './sessions/RunsList';

export function SessionsView(): ReactElement {
  const runId = useRoute((r) => r.runId);
  const [showForm, setShowForm] = useState(true);
  const active = useRuns((s) => Object.values(s.byId).filter(isActive).length);
  if (runId) return <RunPage key={runId} runId={runId} />;
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
      <div className={showForm ? 'split' : undefined}>
        {showForm && (
          <Panel title="New session" testId="new-session">
            <NewSessionForm onCancel={() => setShowForm(false)} />
          </Panel>
        )}
        <Panel title="Runs" flush>
          <RunsList />
        </Panel>
      </div>
    </div>
  );
}
