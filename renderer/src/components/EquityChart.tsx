import type { ReactElement } from 'react';
import { Area, AreaChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EquityPoint } from '../../../shared/contract/domain';
import { formatPercent, formatShortTime, formatTime } from '../lib/format';

function EquityTooltip({ active, payload }: { active?: boolean; payload?: ReadonlyArray<{ payload?: EquityPoint }> }): ReactElement | null {
  const p = payload?.[0]?.payload;
  if (!active || !p) return null;
  return (
    <div className="tooltip">
      <span className="t">{formatTime(p.timestamp)} UTC</span>
      <span className="dim">Equity</span>
      <span className={p.equity >= 0 ? 'up' : 'down'}>{formatPercent(p.equity)}</span>
    </div>
  );
}

/** Cumulative PnL % over time; the area is green above zero and red below. */
export function EquityChart({ points, height = 220 }: { points: EquityPoint[]; height?: number }): ReactElement {
  const span = points.length > 1 ? points[points.length - 1]!.timestamp - points[0]!.timestamp : 0;
  const values = points.map((p) => p.equity);
  const max = Math.max(0, ...values);
  const min = Math.min(0, ...values);
  const zeroAt = max === min ? 0.5 : max / (max - min);
  return (
    <div data-testid="equity-chart" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={points} margin={{ top: 10, right: 8, bottom: 0, left: 8 }}>
          <defs>
            <linearGradient id="equityFill" x1="0" y1="0" x2="0" y2="1">
              <stop offset={0} stopColor="var(--up)" stopOpacity={0.35} />
              <stop offset={zeroAt} stopColor="var(--up)" stopOpacity={0.05} />
              <stop offset={zeroAt} stopColor="var(--down)" stopOpacity={0.05} />
              <stop offset={1} stopColor="var(--down)" stopOpacity={0.35} />
            </linearGradient>
            <linearGradient id="equityStroke" x1="0" y1="0" x2="0" y2="1">
              <stop offset={zeroAt} stopColor="var(--up)" />
              <stop offset={zeroAt} stopColor="var(--down)" />
            </linearGradient>
          </defs>
          <XAxis dataKey="timestamp" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(t: number) => formatShortTime(t, span)} stroke="var(--border-strong)" tickLine={false} minTickGap={60} />
          <YAxis orientation="right" tickFormatter={(v: number) => `${v.toFixed(1)}%`} stroke="var(--border-strong)" tickLine={false} width={60} />
          <ReferenceLine y={0} stroke="var(--border-strong)" />
          <Tooltip content={<EquityTooltip />} isAnimationActive={false} />
          <Area type="linear" dataKey="equity" stroke="url(#equityStroke)" strokeWidth={1.6} fill="url(#equityFill)" isAnimationActive={false} dot={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
