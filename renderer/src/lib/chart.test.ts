import { describe, expect, it } from 'vitest';
import { candleGeometry, candleIndexAt, niceTicks, panWindow, zoomWindow } from './chart';

describe('chart helpers', () => {
  it('zooms in around the cursor and never past the series', () => {
    const w = zoomWindow({ start: 0, end: 1000 }, 1000, 0.5, 0.5);
    expect(w).toEqual({ start: 250, end: 750 });
    expect(zoomWindow(w, 1000, 4, 0.5)).toEqual({ start: 0, end: 1000 });
    expect(zoomWindow({ start: 0, end: 30 }, 1000, 0.1).end - zoomWindow({ start: 0, end: 30 }, 1000, 0.1).start).toBe(20);
  });

  it('pans and clamps at both ends', () => {
    expect(panWindow({ start: 100, end: 200 }, 1000, 50)).toEqual({ start: 150, end: 250 });
    expect(panWindow({ start: 100, end: 200 }, 1000, -500)).toEqual({ start: 0, end: 100 });
    expect(panWindow({ start: 100, end: 200 }, 1000, 5000)).toEqual({ start: 900, end: 1000 });
  });

  it('places the body between open and close inside the wick', () => {
    const g = candleGeometry(100, 100, { open: 8, high: 10, low: 0, close: 2 });
    expect(g.wickTop).toBe(100);
    expect(g.wickBottom).toBe(200);
    expect(g.bodyTop).toBeCloseTo(120);
    expect(g.bodyHeight).toBeCloseTo(60);
    expect(candleGeometry(50, 0, { open: 1, high: 1, low: 1, close: 1 }).bodyHeight).toBe(1);
  });

  it('snaps a time to the candle that contains it', () => {
    const ts = [0, 60, 120, 180];
    expect(candleIndexAt(ts, 130)).toBe(2);
    expect(candleIndexAt(ts, 180)).toBe(3);
    expect(candleIndexAt(ts, 999)).toBe(3);
    expect(candleIndexAt(ts, -1)).toBe(-1);
  });

  it('picks round price ticks inside the range', () => {
    expect(niceTicks(0.0866, 0.1071, 6)).toEqual([0.09, 0.095, 0.1, 0.105]);
    expect(niceTicks(95, 212, 5)).toEqual([100, 125, 150, 175, 200]);
    expect(niceTicks(1, 1)).toEqual([]);
  });
});
