import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/client';

export type AsyncState<T> =
  | { status: 'loading'; data?: T }
  | { status: 'ready'; data: T }
  | { status: 'error'; error: string; data?: T };

/**
 * Runs `load` when `deps` change and on `reload()`; a reload keeps the previous data visible (no
 * flash of a spinner on live refreshes; `keepDataOnChange` does the same when deps change), and a
 * stale answer never overwrites a newer one.
 */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[], options: { keepDataOnChange?: boolean } = {}): AsyncState<T> & { reload(): void } {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const generation = useRef(0);
  // Answers older than `floor` belong to other deps; `applied` is the newest answer on screen.
  const floor = useRef(0);
  const applied = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback((keepData: boolean) => {
    const mine = ++generation.current;
    if (!keepData) floor.current = mine;
    setState((prev) => (keepData && prev.data !== undefined ? prev : { status: 'loading' }));
    loadRef.current().then(
      (data) => {
        // Any answer newer than the one shown is applied, so refreshes that come faster than the
        // query answers still move the screen forward instead of waiting for a quiet moment.
        if (mine >= floor.current && mine > applied.current) {
          applied.current = mine;
          setState({ status: 'ready', data });
        }
      },
      (error: unknown) => {
        if (mine === generation.current) setState((prev) => ({ status: 'error', error: errorMessage(error), data: prev.data }));
      },
    );
  }, []);

  const keep = options.keepDataOnChange === true;
  useEffect(() => {
    run(keep);
  }, deps);

  const reload = useCallback(() => run(true), [run]);
  return { ...state, reload };
}
