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

/**
 * Runs `task` (coalesced as above) once calls have stopped for `quietMs`, and at least every
 * `maxWaitMs` while they keep coming, so a steady stream of calls cannot put it off for ever.
 * The timer does not keep the process alive.
 */
export function settledTask(task: () => Promise<void>, timing: { quietMs: number; maxWaitMs: number }, onError: (error: unknown) => void): () => void {
  const run = coalescedTask(task, onError);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let deadline = 0;
  return () => {
    const now = Date.now();
    if (timer === undefined) deadline = now + timing.maxWaitMs;
    else clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = undefined;
        run();
      },
      Math.max(0, Math.min(timing.quietMs, deadline - now)),
    );
    timer.unref?.();
  };
}
