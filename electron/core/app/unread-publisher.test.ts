import { describe, expect, it } from 'vitest';
import { settledTask } from './coalesced-task';
import { UNREAD_CONFIRM, unreadPublisher } from './unread-publisher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('settledTask', () => {
  it('runs once after a burst of calls settles', async () => {
    let runs = 0;
    const trigger = settledTask(async () => void runs++, { quietMs: 30, maxWaitMs: 1_000 }, (error) => { throw error; });
    for (let i = 0; i < 50; i++) trigger();
    expect(runs).toBe(0);
    await sleep(150);
    expect(runs).toBe(1);
  });

  it('runs at least every maxWaitMs while the calls keep coming', async () => {
    const ran: number[] = [];
    const trigger = settledTask(async () => void ran.push(Date.now()), { quietMs: 50, maxWaitMs: 100 }, (error) => { throw error; });
    // A call every 10 ms for 500 ms: never quiet for 50 ms, so only the deadline makes it run.
    const until = Date.now() + 500;
    let lastCall = 0;
    while (Date.now() < until) {
      trigger();
      lastCall = Date.now();
      await sleep(10);
    }
    expect(ran.filter((t) => t < lastCall).length).toBeGreaterThanOrEqual(2);
    // And once more after the last call (on a loaded machine the last 10 ms sleep may already
    // have lasted the quiet time, so that run can come before this line: counted by its time).
    await sleep(200);
    expect(ran.filter((t) => t >= lastCall)).toHaveLength(1);
  });
});

describe('unreadPublisher', () => {
  it('publishes the tracked count at once and an exact count once the burst settles', async () => {
    const published: Array<{ how: string; count: number; at: number }> = [];
    let stored = 0;
    let how: 'tracked' | 'exact' = 'tracked';
    const start = Date.now();
    const trigger = unreadPublisher(
      async (kind) => {
        how = kind;
        // The tracked count misses one (a bot's notification); the exact count sees it.
        return kind === 'tracked' ? stored : stored + 1;
      },
      (count) => published.push({ how, count, at: Date.now() - start }),
      (error) => { throw error; },
    );
    for (let i = 1; i <= 20; i++) {
      stored = i;
      trigger();
    }
    await sleep(20);
    expect(published.map((p) => p.how)).toEqual(['tracked', 'tracked']);
    expect(published.at(-1)!.count).toBe(20);
    await sleep(UNREAD_CONFIRM.quietMs + 150);
    expect(published.at(-1)).toMatchObject({ how: 'exact', count: 21 });
    expect(published.at(-1)!.at).toBeGreaterThanOrEqual(UNREAD_CONFIRM.quietMs);
  });
});
