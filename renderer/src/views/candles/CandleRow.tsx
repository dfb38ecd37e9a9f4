import type { ReactElement, ReactNode } from 'react';
import type { Candle } from '../../../../shared/candles';
import { formatCompact, formatPrice, formatTime } from '../../lib/format';

/** The header of a candle table; `extra` adds columns after Volume. */
export function CandleHead({ extra }: { extra?: ReactNode }): ReactElement {
  return (
    <thead>
      <tr>
        <th>Open time (UTC)</th>
        <th className="num">Open</th>
        <th className="num">High</th>
        <th className="num">Low</th>
        <th className="num">Close</th>
        <th className="num">Volume</th>
        {extra}
      </tr>
    </thead>
  );
}

/** One candle's cells, the close coloured by the bar's direction; `extra` adds cells after Volume. */
export function CandleCells({ candle: c, extra }: { candle: Candle; extra?: ReactNode }): ReactElement {
  return (
    <>
      <td className="num" style={{ textAlign: 'left' }}>
        {formatTime(c.timestamp)}
      </td>
      <td className="num">{formatPrice(c.open)}</td>
      <td className="num">{formatPrice(c.high)}</td>
      <td className="num">{formatPrice(c.low)}</td>
      <td className={`num ${c.close >= c.open ? 'up' : 'down'}`}>{formatPrice(c.close)}</td>
      <td className="num dim">{formatCompact(c.volume)}</td>
      {extra}
    </>
  );
}
