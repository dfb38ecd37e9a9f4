import { useMemo, useState, type ReactElement } from 'react';
import type { TrialSummary } from '../../../../shared/domain/optimize';
import { cellKey, heatColor, heatmapOf, variedParams } from './sweep-data';

/** Two parameters against each other, colour = objective (each cell: the best trial at that point). */
export function Heatmap({ trials, onPick }: { trials: readonly TrialSummary[]; onPick(trialId: string): void }): ReactElement {
  const params = useMemo(() => variedParams(trials), [trials]);
  const [x, setX] = useState<string>();
  const [y, setY] = useState<string>();
  const xParam = x && params.includes(x) ? x : params[0];
  const yParam = y && params.includes(y) ? y : params.find((p) => p !== xParam);
  const map = useMemo(() => (xParam && yParam ? heatmapOf(trials, xParam, yParam) : null), [trials, xParam, yParam]);
  if (!xParam || !yParam || !map) return <p className="faint">A heatmap needs two parameters that vary.</p>;
  const fmt = (n: number | null): string => (n === null ? 'no score' : n.toFixed(3));
  return (
    <div data-testid="heatmap">
      <div className="form-row" style={{ marginBottom: 8 }}>
        <label className="field">
          <span>Across</span>
          <select aria-label="Heatmap x" value={xParam} onChange={(e) => setX(e.target.value)}>
            {params.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Down</span>
          <select aria-label="Heatmap y" value={yParam} onChange={(e) => setY(e.target.value)}>
            {params.filter((p) => p !== xParam).map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <span className="faint" style={{ alignSelf: 'end' }}>
          colour: objective, {fmt(Number.isFinite(map.min) ? map.min : null)} (red) to {fmt(Number.isFinite(map.max) ? map.max : null)} (green)
        </span>
      </div>
      <div style={{ overflow: 'auto' }}>
        <table className="heatmap" style={{ borderCollapse: 'separate', borderSpacing: 2, fontSize: 11 }}>
          <thead>
            <tr>
              <th className="faint">
                {yParam} \ {xParam}
              </th>
              {map.xs.map((xv) => (
                <th key={String(xv)} className="num">
                  {String(xv)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {map.ys.map((yv) => (
              <tr key={String(yv)}>
                <th className="num">{String(yv)}</th>
                {map.xs.map((xv) => {
                  const cell = map.cells.get(cellKey(xv, yv));
                  if (!cell) return <td key={String(xv)} />;
                  return (
                    <td
                      key={String(xv)}
                      data-testid="heatmap-cell"
                      data-trial-id={cell.trialId}
                      title={`${xParam}=${String(xv)}, ${yParam}=${String(yv)}: ${fmt(cell.score)} (${cell.count} trial${cell.count > 1 ? 's' : ''})`}
                      onClick={() => onPick(cell.trialId)}
                      style={{ background: heatColor(cell.score, map.min, map.max), color: '#fff', minWidth: 44, height: 24, textAlign: 'center', cursor: 'pointer', borderRadius: 3 }}
                    >
                      {cell.score === null ? '–' : cell.score.toFixed(2)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
