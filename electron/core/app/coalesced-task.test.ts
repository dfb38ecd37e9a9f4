import { describe, expect, it } from 'vitest';
import { coalescedTask } from './coalesced-task';

describe('coalescedTask', () => {
  it('folds a burst into the running call plus one more, and the last run sees the newest state', async () => {
    let state = 0;
    const seen: number[] = [];
    let runs = 0;
    const trigger = coalescedTask(async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 20));
      seen.push(state);
    }, (error) => { throw error; });
    for (let i = 1; i <= 100; i++) {
      state = i;
      trigger();
    }
    await new Promise((r) => setTimeout(r, 120));
    expect(runs).toBe(2);
    expect(seen.at(-1)).toBe(100);
  });

  it('hands a failure to onError and keeps working', async () => {
    const errors: unknown[] = [];
    let fail = true;
    let ok = 0;
    const trigger = coalescedTask(async () => {
      if (fail) throw new Error('count failed');
      ok++;
    }, (error) => errors.push(error));
    trigger();
    await new Promise((r) => setTimeout(r, 10));
    fail = false;
    trigger();
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toHaveLength(1);
    expect(ok).toBe(1);
  });
});
