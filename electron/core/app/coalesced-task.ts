/**
 * Runs `task` at most once at a time. Calls that arrive while it runs fold into one more run after
 * it, so a burst of N triggers costs two runs, not N, and the last run still sees the newest state.
 * Used for the inbox's unread recount, which is a database count per call.
 */
export function coalescedTask(task: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  let again = false;
  const trigger = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          trigger();
        }
      });
  };
  return trigger;
}
