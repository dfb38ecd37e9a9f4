import { describe, expect, it } from 'vitest';
import { botIdOf, botsGetRequest, type BotDetail, type BotKey, type BotSummary } from '../../../shared/contract/bots';
import { createBotsRefresher, useBots } from './bots';

const KEY: BotKey = { strategyName: 'probe', exchangeName: 'ex', symbol: 'BTCUSDT', frameName: '', mode: 'live' };
const SUMMARY: BotSummary = { ...KEY, state: 'open', paused: false, collections: ['signal-items'] };
const WATCH = { mode: 'poll' as const, intervalMs: 300, detail: 'standalone' };
const DETAIL = { summary: SUMMARY } as BotDetail;

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('bots store', () => {
  it('asks for a bot with exactly its key, which the contract accepts', async () => {
    const asked: unknown[] = [];
    const refresher = createBotsRefresher(
      { list: async () => ({ bots: [SUMMARY], watch: WATCH }), get: async (key) => (asked.push(key), { bot: DETAIL, watch: WATCH }) },
      String,
    );
    await refresher.refreshList();
    useBots.getState().open(botIdOf(SUMMARY));
    await refresher.refreshDetail();
    expect(asked).toEqual([KEY]);
    expect(botsGetRequest.safeParse(asked[0]).success).toBe(true);
    expect(useBots.getState().detail).toBe(DETAIL);
  });

  it('coalesces a burst of changes into one more read after the one in flight', async () => {
    let lists = 0;
    let release: () => void = () => undefined;
    const refresher = createBotsRefresher(
      {
        list: () => {
          lists++;
          return new Promise((resolve) => (release = () => resolve({ bots: [], watch: WATCH })));
        },
        get: async () => ({ bot: DETAIL, watch: WATCH }),
      },
      String,
      0,
    );
    useBots.getState().open(undefined);
    const event = { bots: [], collections: ['signal-items'], watch: WATCH, at: 1 };
    for (let i = 0; i < 5; i++) refresher.onChanged(event);
    expect(lists).toBe(1);
    release();
    await tick();
    await tick();
    await tick();
    expect(lists).toBe(2);
    release();
    await tick();
    expect(lists).toBe(2);
    expect(useBots.getState().changes).toBeGreaterThanOrEqual(5);
  });

  it('keeps the last list on screen and says why when a read fails', async () => {
    const refresher = createBotsRefresher(
      {
        list: async () => {
          throw new Error('bots are read from the database, and none is connected');
        },
        get: async () => ({ bot: DETAIL, watch: WATCH }),
      },
      (e) => (e instanceof Error ? e.message : String(e)),
    );
    useBots.getState().setList([SUMMARY], WATCH);
    await refresher.refreshList();
    expect(useBots.getState().bots).toEqual([SUMMARY]);
    expect(useBots.getState().error).toMatch(/none is connected/);
  });

  it('spaces reads of a busy bot at least the minimum gap apart', async () => {
    const starts: number[] = [];
    const refresher = createBotsRefresher(
      {
        list: async () => {
          starts.push(Date.now());
          return { bots: [], watch: WATCH };
        },
        get: async () => ({ bot: DETAIL, watch: WATCH }),
      },
      String,
      100,
    );
    const event = { bots: [], collections: ['notification-items'], watch: WATCH, at: 1 };
    refresher.onChanged(event);
    refresher.onChanged(event);
    await new Promise((r) => setTimeout(r, 250));
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(95);
  });
});
