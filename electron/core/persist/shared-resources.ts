/**
 * Resources several persistences of one process must share because they own a file: the outage
 * spool and a JSONL log. Reference-counted; the last release closes.
 */
export class SharedResources<T> {
  private readonly held = new Map<string, { value: Promise<T>; refs: number }>();

  constructor(private readonly dispose: (value: T) => Promise<void>) {}

  acquire(id: string, create: () => Promise<T>): Promise<T> {
    const existing = this.held.get(id);
    if (existing) {
      existing.refs++;
      return existing.value;
    }
    const value = create();
    this.held.set(id, { value, refs: 1 });
    value.catch(() => this.held.delete(id));
    return value;
  }

  async release(id: string): Promise<void> {
    const existing = this.held.get(id);
    if (!existing) return;
    existing.refs--;
    if (existing.refs > 0) return;
    this.held.delete(id);
    await this.dispose(await existing.value);
  }
}
