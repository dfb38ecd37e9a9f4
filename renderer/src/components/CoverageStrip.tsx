import type { ReactElement } from 'react';
import { formatInt, formatTime } from '../lib/format';

export interface Gap {
  from: number;
  to: number;
  missing: number;
}

/** The stored span as a green strip with each gap as a red mark at its place in time. */
export function CoverageStrip({ first, last, gaps }: { first: number; last: number; gaps: Gap[] }): ReactElement {
  const span = Math.max(1, last - first);
  const pct = (t: number): number => Math.max(0, Math.min(100, ((t - first) / span) * 100));
  return (
    <div>
      <div className="coverage" data-testid="coverage-strip" data-gaps={gaps.length}>
        <div className="have" style={{ left: 0, width: '100%' }} />
        {gaps.map((g) => (
          <div
            key={g.from}
            className="gap"
            data-testid="coverage-gap"
            title={`${formatTime(g.from)} → ${formatTime(g.to)} UTC: ${formatInt(g.missing)} missing`}
            style={{ left: `${pct(g.from)}%`, width: `${pct(g.to) - pct(g.from)}%` }}
          />
        ))}
      </div>
      <div className="coverage-legend">
        <span>{formatTime(first)}</span>
        <span className="spacer" />
        <span>{formatTime(last)} UTC</span>
      </div>
    </div>
  );
}
