import { create } from 'zustand';
import type { RunRequest } from '../../../shared/contract/domain';

/** "Re-run with edited parameters": the request the New session form opens with, then forgets. */
export const useRerun = create<{ request?: RunRequest; version: number; set(request: RunRequest | undefined): void }>((set) => ({
  version: 0,
  set(request) {
    set((s) => ({ request, version: s.version + 1 }));
  },
}));
