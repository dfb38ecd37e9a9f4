import { useMemo, useState, type ReactElement } from 'react';
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { TrialSummary } from '../../../../shared/domain/optimize';
import { variedParams } from './sweep-data';

const AXIS_TICK = { fill: 'var(--text-dim)', fontSize: 11 };

/** One numeric parameter against the objective, every scored trial a dot: how sensitive the score is to it. */
export function ParamScatter({ trials, onPick }: { trials: readonly TrialSummary[]; onPick(trialId: string): void }): ReactElement {
  const numeric = useMemo(() => variedParams(trials).filter((p) => trials.every((t) => t.params[p] === undefined || typeof t.params[p] === 'number')), [trials]);
  const [param, setParam] = useState<string>();
  const x = param && numeric.includes(param) ? param : numeric[0];
  const points = useMemo(
    () => (x ? trials.filter((t) => t.score !== null && typeof t.params[x] === 'number').map((t) => ({ x: t.params[x] as number, score: t.score!, trialId: t.trialId })) : []),
    [trials, x],
  );
  if (!x) return <p className="faint">No numeric parameter varies.</p>;
  return (
    <div data-testid="param-scatter">
      <label className="field" style={{ maxWidth: 240 }}>
        <span>Parameter</span>
        <select aria-label="Scatter parameter" value={x} onChange={(e) => setParam(e.target.value)}>
          {numeric.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <div style={{ height: 220 }}>
        <ResponsiveContainer width="100%" height="100%">
          <ScatterChart margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid stroke="var(--border)" />
            <XAxis dataKey="x" type="number" name={x} domain={['dataMin', 'dataMax']} tick={AXIS_TICK} stroke="var(--border-strong)" />
            <YAxis dataKey="score" type="number" name="score" tick={AXIS_TICK} stroke="var(--border-strong)" width={56} />
            <Tooltip isAnimationActive={false} cursor={{ strokeDasharray: '3 3' }} />
            <Scatter data={points} fill="var(--accent, #4f8cff)" isAnimationActive={false} onClick={(p: { payload?: { trialId?: string } }) => p.payload?.trialId && onPick(p.payload.trialId)} />
          </ScatterChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
