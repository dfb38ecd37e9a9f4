import { create } from 'zustand';
import type { Notification, NotificationType } from '../../../shared/contract/domain';

/** The feed keeps the newest this many in memory; older ones are paged from the backend. */
export const FEED_CAP = 5000;

export interface NotificationFilters {
  types: NotificationType[];
  symbol?: string;
  runId?: string;
}

interface NotificationsState {
  /** Newest first. */
  items: Notification[];
  /** Ids present in `items`: a reconnect may deliver a notification twice. */
  ids: Set<string>;
  unread: number;
  loaded: boolean;
  error?: string;
  hasMore: boolean;
  filters: NotificationFilters;
  /** Bumped by every unread count from the backend (an answer in flight can tell it is stale). */
  unreadVersion: number;
  /** Why the last mark-read failed (the notifications stay unread). */
  actionError?: string;
  /** The notification whose details are open. */
  selectedId?: string;
}

interface NotificationsActions {
  /** Replaces the feed with a fresh page from the backend. */
  reset(items: Notification[], hasMore: boolean, unread: number): void;
  /** Appends an older page (keyset paging). */
  appendOlder(items: Notification[], hasMore: boolean): void;
  /** Applies a frame's worth of live notifications. */
  applyLive(batch: Notification[]): void;
  setUnread(count: number): void;
  /** Marks them read on screen; `adjustCount: false` leaves the unread count to the backend's newer figure. */
  markReadLocal(ids: string[] | 'all', adjustCount?: boolean): void;
  setActionError(error: string | undefined): void;
  select(notificationId: string | undefined): void;
  setError(error: string | undefined): void;
  setFilters(filters: Partial<NotificationFilters>): void;
}

const newestFirst = (a: Notification, b: Notification): number =>
  b.createdAt - a.createdAt || (a.notificationId < b.notificationId ? 1 : a.notificationId > b.notificationId ? -1 : 0);

/**
 * Merges live notifications into a newest-first feed. The common case (everything newer than the
 * head) is a prepend; anything older is placed by a full sort, which is rare and bounded by FEED_CAP.
 */
export function mergeNewestFirst(
  items: Notification[],
  ids: Set<string>,
  batch: Notification[],
  cap = FEED_CAP,
): { items: Notification[]; ids: Set<string>; added: Notification[] } {
  const added: Notification[] = [];
  const seen = new Set<string>();
  for (const n of batch) {
    if (ids.has(n.notificationId) || seen.has(n.notificationId)) continue;
    seen.add(n.notificationId);
    added.push(n);
  }
  if (added.length === 0) return { items, ids, added };
  added.sort(newestFirst);
  const head = items[0];
  const last = added[added.length - 1]!;
  let merged = !head || newestFirst(last, head) <= 0 ? [...added, ...items] : [...added, ...items].sort(newestFirst);
  const nextIds = new Set(ids);
  for (const n of added) nextIds.add(n.notificationId);
  if (merged.length > cap) {
    for (const n of merged.slice(cap)) nextIds.delete(n.notificationId);
    merged = merged.slice(0, cap);
  }
  return { items: merged, ids: nextIds, added };
}

export function matchesFilters(n: Notification, f: NotificationFilters): boolean {
  if (f.types.length > 0 && !f.types.includes(n.type)) return false;
  if (f.symbol && n.symbol !== f.symbol) return false;
  if (f.runId && n.runId !== f.runId) return false;
  return true;
}

export const useNotifications = create<NotificationsState & NotificationsActions>((set) => ({
  items: [],
  ids: new Set(),
  unread: 0,
  loaded: false,
  hasMore: false,
  filters: { types: [] },
  unreadVersion: 0,
  reset(items, hasMore, unread) {
    const sorted = [...items].sort(newestFirst);
    set({ items: sorted, ids: new Set(sorted.map((n) => n.notificationId)), hasMore, unread, loaded: true, error: undefined });
  },
  appendOlder(older, hasMore) {
    set((s) => {
      const fresh = older.filter((n) => !s.ids.has(n.notificationId));
      const ids = new Set(s.ids);
      for (const n of fresh) ids.add(n.notificationId);
      return { items: [...s.items, ...fresh], ids, hasMore };
    });
  },
  applyLive(batch) {
    set((s) => {
      const { items, ids, added } = mergeNewestFirst(s.items, s.ids, batch);
      if (added.length === 0) return s;
      return { items, ids, unread: s.unread + added.filter((n) => !n.read).length };
    });
  },
  setUnread(count) {
    set((s) => ({ unread: count, unreadVersion: s.unreadVersion + 1 }));
  },
  markReadLocal(target, adjustCount = true) {
    set((s) => {
      const which = target === 'all' ? undefined : new Set(target);
      let changed = 0;
      const items = s.items.map((n) => {
        if (n.read || (which && !which.has(n.notificationId))) return n;
        changed++;
        return { ...n, read: true };
      });
      if (!adjustCount) return { items };
      return { items, unread: target === 'all' ? 0 : Math.max(0, s.unread - changed) };
    });
  },
  setActionError(actionError) {
    set({ actionError });
  },
  select(selectedId) {
    set({ selectedId });
  },
  setError(error) {
    set({ error, loaded: true });
  },
  setFilters(filters) {
    set((s) => ({ filters: { ...s.filters, ...filters } }));
  },
}));

export type MarkReadRequest = { ids: string[] } | { all: true };

/**
 * Marks notifications read in the backend, and only then on screen: when the backend refuses
 * (database down, inbox unavailable) they stay unread and `actionError` says why, instead of
 * looking read until the next reload.
 */
export async function markNotificationsRead(target: string[] | 'all', send: (request: MarkReadRequest) => Promise<unknown>): Promise<boolean> {
  const before = useNotifications.getState().unreadVersion;
  try {
    await send(target === 'all' ? { all: true } : { ids: target });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    useNotifications.getState().setActionError(`Could not mark ${target === 'all' ? 'all notifications' : target.length === 1 ? 'the notification' : `${target.length} notifications`} read: ${reason}`);
    return false;
  }
  const store = useNotifications.getState();
  // A newer unread count already arrived from the backend: it counts this change, do not subtract twice.
  store.markReadLocal(target, store.unreadVersion === before);
  store.setActionError(undefined);
  return true;
}
