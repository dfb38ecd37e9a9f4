import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { coverageBins, type Gap } from '../lib/coverage';
import { formatInt, formatTime } from '../lib/format';

export type { Gap };

/** A bin with any gap is at least this opaque, so one missing minute in a year still shows. */
const MIN_OPACITY = 0.2;

/**
 * The stored span, one bin per pixel: each bin is red in proportion to the share of it that is
 * missing (sub-pixel gaps merge into their pixel and tint it), so 87% coverage looks like 87%
 * instead of every one-minute gap painting 2 px.
 */
export function CoverageStrip({ first, last, gaps, present, expected }: { first: number; last: number; gaps: Gap[]; present?: number; expected?: number }): ReactElement {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(1, Math.round(el.clientWidth))));
    observer.observe(el);
    setWidth(Math.max(1, Math.round(el.clientWidth)));
    return () => observer.disconnect();
  }, []);
  const bins = useMemo(() => coverageBins(first, last, gaps, width), [first, last, gaps, width]);
  const presentPct = present !== undefined && expected ? (present / expected) * 100 : undefined;
  const biggest = gaps.reduce<Gap | undefined>((a, g) => (!a || g.missing > a.missing ? g : a), undefined);
  return (
    <div>
      <div
        className="coverage"
        ref={ref}
        data-testid="coverage-strip"
        data-gaps={gaps.length}
        title={biggest ? `Largest gap: ${formatTime(biggest.from)} → ${formatTime(biggest.to)} UTC, ${formatInt(biggest.missing)} missing` : 'No gaps'}
      >
        <div className="have" style={{ left: 0, width: '100%' }} />
        <svg viewBox={`0 0 ${bins.length} 1`} preserveAspectRatio="none" width="100%" height="100%" style={{ position: 'absolute', inset: 0 }}>
          {bins.map((f, i) =>
            f > 0 ? <rect key={i} className="gap-bin" data-testid="coverage-gap" x={i} y={0} width={1} height={1} fill="var(--down)" fillOpacity={Math.max(MIN_OPACITY, Math.min(1, f))} /> : null,
          )}
        </svg>
      </div>
      <div className="coverage-legend">
        <span>{formatTime(first)}</span>
        <span className="spacer" />
        <span>{formatTime(last)} UTC</span>
      </div>
      <div className="coverage-legend" style={{ marginTop: 2 }}>
        {presentPct !== undefined && (
          <span data-testid="coverage-present" className="num">
            {presentPct.toFixed(1)}% present
          </span>
        )}
        <span className="faint">red: the share of each pixel that is missing</span>
      </div>
    </div>
  );
}
