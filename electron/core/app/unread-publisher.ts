import { coalescedTask, settledTask } from './coalesced-task';

/** When the exact recount follows a burst of notifications: once it settles, and at least this often during one. */
export const UNREAD_CONFIRM = { quietMs: 250, maxWaitMs: 5_000 } as const;

/**
 * What the app does after each notification it puts on the bus: publish the unread count. The
 * inboxes' tracked count goes out at once (coalesced: one at a time, a burst folds into one more),
 * which costs no database count; an exact count follows when the burst settles (see
 * UNREAD_CONFIRM), so whatever the tracked count could not see (a bot's notifications, another
 * app's mark-read) is on the badge soon after. Both counts wait in the inbox's write queue, so the
 * later answer always includes the earlier one's news.
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
