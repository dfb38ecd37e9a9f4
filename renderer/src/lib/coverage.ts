export interface Gap {
  from: number;
  to: number;
  missing: number;
}

/**
 * The share (0..1) of each of `bins` equal slices of [first, last] that the gaps cover. A gap
 * narrower than a slice adds only its width; one spanning several slices fills them.
 */
export function coverageBins(first: number, last: number, gaps: readonly Gap[], bins: number): number[] {
  const n = Math.max(1, Math.floor(bins));
  const out = new Array<number>(n).fill(0);
  const span = last - first;
  if (span <= 0) return out;
  const width = span / n;
  for (const g of gaps) {
    const a = Math.max(first, g.from);
    const b = Math.min(last, g.to);
    if (b <= a) continue;
    const i0 = Math.min(n - 1, Math.floor((a - first) / width));
    const i1 = Math.min(n - 1, Math.floor((b - first) / width));
    for (let i = i0; i <= i1; i++) {
      const lo = first + i * width;
      const hi = lo + width;
      out[i]! += (Math.min(hi, b) - Math.max(lo, a)) / width;
    }
  }
  for (let i = 0; i < n; i++) out[i] = Math.min(1, out[i]!);
  return out;
}
