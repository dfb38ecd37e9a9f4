import type { ReactElement } from 'react';
import { Area, AreaChart, ComposedChart, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EquityPoint } from '../../../shared/contract/domain';
import { formatCompact, formatPercent, formatShortTime, formatTime } from '../lib/format';

/** Tick labels in the text colour: the axis line's colour (recharts' default for them) is unreadable in both themes. */
const AXIS_TICK = { fill: 'var(--text-dim)', fontSize: 11 };

export interface EquitySeries {
  id: string;
  label: string;
  color: string;
  points: EquityPoint[];
}

const money = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

function EquityTooltip({ active, payload, start }: { active?: boolean; payload?: ReadonlyArray<{ payload?: EquityPoint }>; start: number }): ReactElement | null {
  const p = payload?.[0]?.payload;
  if (!active || !p) return null;
  const balance = p.balance ?? start;
  return (
    <div className="tooltip">
      <span className="t">{formatTime(p.timestamp)} UTC</span>
      <span className="dim">Balance</span>
      <span className={balance >= start ? 'up' : 'down'}>{money.format(balance)}</span>
      <span className="dim">Return</span>
      <span className={balance >= start ? 'up' : 'down'}>{formatPercent((balance / start - 1) * 100)}</span>
      <span className="dim">Sum of trade PnL</span>
      <span className={p.equity >= 0 ? 'up' : 'down'}>{formatPercent(p.equity)}</span>
    </div>
  );
}

/**
 * The compounded account balance over time (closed trades), green above the starting balance and
 * red below; it never goes under zero, unlike the added-up PnL it replaces.
 */
export function EquityChart({ points, height = 220 }: { points: EquityPoint[]; height?: number }): ReactElement {
  const start = points[0]?.balance ?? 0;
  const hasBalance = points.every((p) => p.balance !== undefined);
  const key = hasBalance ? 'balance' : 'equity';
  const base = hasBalance ? start : 0;
  const span = points.length > 1 ? points[points.length - 1]!.timestamp - points[0]!.timestamp : 0;
  const values = points.map((p) => (hasBalance ? p.balance! : p.equity));
  const max = Math.max(base, ...values);
  const min = Math.min(base, ...values);
  const zeroAt = max === min ? 0.5 : (max - base) / (max - min);
  return (
    <div data-testid="equity-chart" data-min={min} data-max={max} style={{ height }}>
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
          {/* Padding keeps the last date clear of the price labels at the bottom right. */}
          <XAxis
            dataKey="timestamp"
            type="number"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(t: number) => formatShortTime(t, span)}
            stroke="var(--border-strong)"
            tick={AXIS_TICK}
            tickLine={false}
            minTickGap={60}
            padding={{ left: 4, right: 40 }}
          />
          <YAxis
            orientation="right"
            domain={[min, max]}
            tickFormatter={(v: number) => (hasBalance ? formatCompact(v) : `${v.toFixed(1)}%`)}
            stroke="var(--border-strong)"
            tick={AXIS_TICK}
            tickLine={false}
            width={64}
          />
          <ReferenceLine y={base} stroke="var(--border-strong)" strokeDasharray="4 3" />
          <Tooltip content={<EquityTooltip start={start} />} isAnimationActive={false} />
          <Area type="linear" dataKey={key} baseValue={base} stroke="url(#equityStroke)" strokeWidth={1.6} fill="url(#equityFill)" isAnimationActive={false} dot={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Several runs' balances on one time axis, each as a percentage of its own starting balance. */
export function CompareEquityChart({ series, height = 280 }: { series: EquitySeries[]; height?: number }): ReactElement {
  const rows = new Map<number, Record<string, number>>();
  for (const s of series) {
    const start = s.points[0]?.balance ?? 1;
    for (const p of s.points) {
      const row = rows.get(p.timestamp) ?? { timestamp: p.timestamp };
      row[s.id] = p.balance !== undefined ? (p.balance / start - 1) * 100 : p.equity;
      rows.set(p.timestamp, row);
    }
  }
  const data = [...rows.values()].sort((a, b) => a.timestamp! - b.timestamp!);
  const span = data.length > 1 ? data[data.length - 1]!.timestamp! - data[0]!.timestamp! : 0;
  return (
    <div data-testid="compare-equity" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 10, right: 8, bottom: 0, left: 8 }}>
          <XAxis dataKey="timestamp" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(t: number) => formatShortTime(t, span)} stroke="var(--border-strong)" tick={AXIS_TICK} tickLine={false} minTickGap={60} padding={{ left: 4, right: 40 }} />
          <YAxis orientation="right" tickFormatter={(v: number) => `${v.toFixed(0)}%`} stroke="var(--border-strong)" tick={AXIS_TICK} tickLine={false} width={56} />
          <ReferenceLine y={0} stroke="var(--border-strong)" strokeDasharray="4 3" />
          <Tooltip
            isAnimationActive={false}
            contentStyle={{ background: 'var(--bg-elev-2)', border: '1px solid var(--border-strong)', borderRadius: 8 }}
            labelFormatter={(t) => `${formatTime(Number(t))} UTC`}
            formatter={(v, name) => [formatPercent(Number(v)), series.find((s) => s.id === name)?.label ?? String(name)]}
          />
          {series.map((s) => (
            <Line key={s.id} type="stepAfter" dataKey={s.id} stroke={s.color} strokeWidth={1.8} dot={false} connectNulls isAnimationActive={false} />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
