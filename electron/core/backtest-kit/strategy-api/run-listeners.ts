import type { Listener, ListenerKind } from './registry';

/**
 * The `listen*` subscriptions of one run: those the module made when it loaded plus those made
 * while it runs. A listener is strategy code, so it is called through `callAt` (which sets the
 * moment the code sees and turns its errors into the run's failure).
 */
export class RunListeners {
  private readonly listeners: Listener[];

  constructor(
    initial: readonly Listener[],
    private readonly callAt: (when: number, fn: () => unknown) => Promise<void>,
  ) {
    this.listeners = [...initial];
  }

  add(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Whether anyone listens to `kind` (building an event nobody reads is skipped). */
  has(kind: ListenerKind): boolean {
    for (const l of this.listeners) if (l.kind === kind) return true;
    return false;
  }

  /** Calls the `kind` listeners with `event`, strategy code seeing moment `at`; a `*Once` one is dropped after its call. */
  async emit(kind: ListenerKind, event: unknown, at: number): Promise<void> {
    for (const l of [...this.listeners]) {
      if (l.kind !== kind) continue;
      if (l.filter && !l.filter(event)) continue;
      if (l.once) this.listeners.splice(this.listeners.indexOf(l), 1);
      await this.callAt(at, () => l.fn(event));
    }
  }
}
