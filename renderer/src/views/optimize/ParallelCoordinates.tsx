import { useMemo, type ReactElement } from 'react';
import type { TrialSummary } from '../../../../shared/domain/optimize';
import { formatInt } from '../../lib/format';
import { heatColor, parallelCoordinatesOf } from './sweep-data';

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { top: 22, bottom: 22, left: 36, right: 36 };

/**
 * Every varied parameter and the objective side by side, one line per scored trial coloured by its
 * score (red worst, green best), the best trial drawn thick on top: which parameter regions the good
 * trials share, for any number of parameters. Click a line to open its trial.
 */
export function ParallelCoordinates({ trials, bestId, onPick }: { trials: readonly TrialSummary[]; bestId?: string; onPick(trialId: string): void }): ReactElement {
  const pc = useMemo(() => parallelCoordinatesOf(trials), [trials]);
  if (pc.axes.length < 2 || pc.lines.length === 0) return <p className="faint">Parallel coordinates need scored trials and a parameter that varies.</p>;
  const step = (WIDTH - PAD.left - PAD.right) / (pc.axes.length - 1);
  const xOf = (i: number): number => PAD.left + i * step;
  const yOf = (p: number): number => PAD.top + (1 - p) * (HEIGHT - PAD.top - PAD.bottom);
  const path = (points: number[]): string => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${xOf(i).toFixed(1)},${yOf(p).toFixed(1)}`).join('');
  const best = pc.lines.find((l) => l.trialId === bestId);
  return (
    <div data-testid="parallel-coordinates">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} style={{ width: '100%', maxWidth: 900, display: 'block' }} role="img" aria-label="Parallel coordinates of the trials: one axis per parameter and the objective">
        <g fill="none" strokeOpacity={0.55}>
          {pc.lines.map((l) =>
            l === best ? null : (
              <path key={l.trialId} data-testid="pc-line" data-trial-id={l.trialId} d={path(l.points)} stroke={heatColor(l.score, pc.min, pc.max)} strokeWidth={1.2} style={{ cursor: 'pointer' }} onClick={() => onPick(l.trialId)}>
                <title>{`${l.trialId}: ${l.score.toFixed(3)}`}</title>
              </path>
            ),
          )}
        </g>
        {best && (
          <path data-testid="pc-line" data-best="true" data-trial-id={best.trialId} d={path(best.points)} fill="none" stroke="var(--text, #fff)" strokeWidth={3} style={{ cursor: 'pointer' }} onClick={() => onPick(best.trialId)}>
            <title>{`best: ${best.score.toFixed(3)}`}</title>
          </path>
        )}
        {pc.axes.map((a, i) => (
          <g key={a.name} data-testid="pc-axis" data-axis={a.name} fontSize={8} fill="var(--text-dim)" textAnchor="middle">
            <line x1={xOf(i)} x2={xOf(i)} y1={PAD.top} y2={HEIGHT - PAD.bottom} stroke="var(--border-strong)" />
            <text x={xOf(i)} y={12} fontSize={9} fontWeight={600} fill="var(--text)">
              {a.name === 'score' ? 'objective' : a.name}
            </text>
            <text x={xOf(i) + 4} y={PAD.top + 8} textAnchor="start">
              {a.high}
            </text>
            <text x={xOf(i) + 4} y={HEIGHT - PAD.bottom + 14} textAnchor="start">
              {a.low}
            </text>
          </g>
        ))}
      </svg>
      {pc.shown < pc.scored && (
        <p className="faint">
          The best {formatInt(pc.shown)} of {formatInt(pc.scored)} scored trials are drawn.
        </p>
      )}
    </div>
  );
}
