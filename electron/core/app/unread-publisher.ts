import { coalescedTask, settledTask } from './coalesced-task';

/**
 * When the exact recount follows a burst of notifications: once it settles, and at least this often
 * during one. The recount holds the inbox's write queue while it counts (17 – 44 ms at 14,000
 * notifications on mongo-java-server), so what arrives meanwhile reaches the badge that much
 * later: every 30 s that touches well under 1% of a steady 1,000/s stream (every 5 s it was about
 * 1%, enough to decide the p99); what the tracked count misses is rare (see NotificationService).
 */
export const UNREAD_CONFIRM = { quietMs: 250, maxWaitMs: 30_000 } as const;

/**
 * What the app does after each notification it puts on the bus: publish the unread count. The
 * inboxes' tracked count goes out at once (coalesced: one at a time, a burst folds into one more),
 * which costs no database count; an exact count follows when the burst settles (see
 * UNREAD_CONFIRM), so whatever the tracked count could not see (a bot's notifications, another
 * app's mark-read) is on the badge soon after. Each answer counts every notification emitted
 * before it; the exact one re-bases the tracked count, so a tracked answer after it includes its news.
 */
export function unreadPublisher(
  count: (how: 'tracked' | 'exact') => Promise<number>,
  publish: (count: number) => void,
  onError: (error: unknown) => void,
): () => void {
  const tracked = coalescedTask(async () => publish(await count('tracked')), onError);
  const exact = settledTask(async () => publish(await count('exact')), UNREAD_CONFIRM, onError);
  return () => {
    tracked();
    exact();
  };
}
