export type Scheduler = (flush: () => void) => void;

const nextAnimationFrame: Scheduler = (flush) => {
  // A hidden tab gets no animation frames; a timer keeps stores current for when it returns.
  if (typeof document !== 'undefined' && document.visibilityState === 'hidden') setTimeout(flush, 100);
  else requestAnimationFrame(flush);
};

/**
 * Collects items as they arrive and hands them to `apply` once per animation frame, so a burst of
 * a thousand events costs one store update and one render instead of a thousand.
 */
export function createFrameBatcher<T>(apply: (batch: T[]) => void, schedule: Scheduler = nextAnimationFrame) {
  let pending: T[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length > 0) apply(batch);
  };
  return {
    push(item: T): void {
      pending.push(item);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    pushMany(items: readonly T[]): void {
      for (const item of items) this.push(item);
    },
    /** Applies whatever is pending now (tests, teardown). */
    flush,
    get pendingCount(): number {
      return pending.length;
    },
  };
}
