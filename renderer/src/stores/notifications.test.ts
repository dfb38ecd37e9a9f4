import { describe, expect, it } from 'vitest';
import type { Notification } from '../../../shared/contract/domain';
import { markNotificationsRead, matchesFilters, mergeNewestFirst, useNotifications } from './notifications';

const note = (id: string, createdAt: number, extra: Partial<Notification> = {}): Notification => ({
  notificationId: id,
  type: 'signal.opened',
  backtest: false,
  title: id,
  message: id,
  createdAt,
  read: false,
  ...extra,
});

describe('notification feed', () => {
  it('keeps the feed newest first and drops duplicates delivered again after a reconnect', () => {
    const first = mergeNewestFirst([], new Set(), [note('a', 1), note('b', 2)]);
    expect(first.items.map((n) => n.notificationId)).toEqual(['b', 'a']);
    const second = mergeNewestFirst(first.items, first.ids, [note('b', 2), note('c', 3)]);
    expect(second.items.map((n) => n.notificationId)).toEqual(['c', 'b', 'a']);
    expect(second.added.map((n) => n.notificationId)).toEqual(['c']);
  });

  it('places a late, older notification in time order', () => {
    const a = mergeNewestFirst([], new Set(), [note('x', 10), note('y', 30)]);
    const b = mergeNewestFirst(a.items, a.ids, [note('late', 20)]);
    expect(b.items.map((n) => n.notificationId)).toEqual(['y', 'late', 'x']);
  });

  it('caps the feed and forgets the ids it dropped', () => {
    const batch = Array.from({ length: 12 }, (_, i) => note(`n${i}`, i));
    const out = mergeNewestFirst([], new Set(), batch, 10);
    expect(out.items).toHaveLength(10);
    expect(out.ids.has('n0')).toBe(false);
    expect(out.ids.has('n11')).toBe(true);
  });

  it('counts unread live notifications once and clears them on mark read', () => {
    const store = useNotifications.getState();
    store.reset([], false, 3);
    store.applyLive([note('p', 1), note('q', 2, { read: true }), note('p', 1)]);
    expect(useNotifications.getState().unread).toBe(4);
    useNotifications.getState().markReadLocal(['p']);
    expect(useNotifications.getState().unread).toBe(3);
    useNotifications.getState().markReadLocal('all');
    expect(useNotifications.getState().unread).toBe(0);
  });

  it('filters by type, symbol and run', () => {
    const n = note('f', 1, { type: 'signal.closed', symbol: 'ETH/BTC', runId: 'r1' });
    expect(matchesFilters(n, { types: [] })).toBe(true);
    expect(matchesFilters(n, { types: ['signal.opened'] })).toBe(false);
    expect(matchesFilters(n, { types: ['signal.closed'], symbol: 'ETH/BTC', runId: 'r1' })).toBe(true);
    expect(matchesFilters(n, { types: [], runId: 'r2' })).toBe(false);
  });

  it('keeps a notification unread and says why when the backend refuses to mark it read', async () => {
    useNotifications.getState().reset([note('m1', 1), note('m2', 2)], false, 2);
    const ok = await markNotificationsRead(['m1'], async () => {
      throw new Error('MongoDB is unreachable right now');
    });
    expect(ok).toBe(false);
    const s = useNotifications.getState();
    expect(s.items.find((n) => n.notificationId === 'm1')!.read).toBe(false);
    expect(s.unread).toBe(2);
    expect(s.actionError).toMatch(/Could not mark the notification read: MongoDB is unreachable/);
  });

  it('marks read on screen once the backend accepted it, without counting twice after a newer unread count', async () => {
    useNotifications.getState().reset([note('k1', 1), note('k2', 2), note('k3', 3)], false, 3);
    const sent: unknown[] = [];
    expect(await markNotificationsRead(['k1'], async (r) => sent.push(r))).toBe(true);
    expect(sent).toEqual([{ ids: ['k1'] }]);
    expect(useNotifications.getState().items.find((n) => n.notificationId === 'k1')!.read).toBe(true);
    expect(useNotifications.getState().unread).toBe(2);
    expect(useNotifications.getState().actionError).toBeUndefined();
    // The backend's own count (already without k2) arrives while the request is in flight.
    await markNotificationsRead(['k2'], async () => useNotifications.getState().setUnread(1));
    expect(useNotifications.getState().unread).toBe(1);
    expect(useNotifications.getState().items.find((n) => n.notificationId === 'k2')!.read).toBe(true);
  });
});
