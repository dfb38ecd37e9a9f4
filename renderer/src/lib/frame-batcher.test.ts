import { describe, expect, it } from 'vitest';
import { createFrameBatcher } from './frame-batcher';

describe('createFrameBatcher', () => {
  it('applies everything pushed before a frame as one batch, in arrival order', () => {
    const frames: Array<() => void> = [];
    const batches: number[][] = [];
    const batcher = createFrameBatcher<number>((b) => batches.push(b), (f) => frames.push(f));
    for (let i = 0; i < 1000; i++) batcher.push(i);
    expect(frames).toHaveLength(1);
    expect(batches).toHaveLength(0);
    frames[0]!();
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(1000);
    expect(batches[0]![999]).toBe(999);
  });

  it('schedules a new frame for items that arrive after a flush', () => {
    const frames: Array<() => void> = [];
    const batches: string[][] = [];
    const batcher = createFrameBatcher<string>((b) => batches.push(b), (f) => frames.push(f));
    batcher.push('a');
    frames.shift()!();
    batcher.pushMany(['b', 'c']);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('does not call apply for an empty frame', () => {
    let calls = 0;
    const batcher = createFrameBatcher<number>(() => calls++, () => undefined);
    batcher.flush();
    expect(calls).toBe(0);
  });
});
