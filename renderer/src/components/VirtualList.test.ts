import { describe, expect, it } from 'vitest';
import { visibleRange } from './VirtualList';

describe('visibleRange', () => {
  it('mounts only the rows in view plus overscan', () => {
    expect(visibleRange(0, 400, 40, 10_000, 5)).toEqual([0, 15]);
    expect(visibleRange(4000, 400, 40, 10_000, 5)).toEqual([95, 115]);
  });

  it('never runs past the list', () => {
    expect(visibleRange(0, 400, 40, 3, 5)).toEqual([0, 3]);
    expect(visibleRange(10_000, 400, 40, 0)).toEqual([0, 0]);
  });
});
