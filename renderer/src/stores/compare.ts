import { create } from 'zustand';

/** Runs ticked in the runs list for a side-by-side comparison, and whether it is open. */
export const useCompare = create<{ ids: string[]; open: boolean; toggle(id: string): void; setOpen(open: boolean): void; clear(): void }>((set) => ({
  ids: [],
  open: false,
  toggle(id) {
    set((s) => ({ ids: s.ids.includes(id) ? s.ids.filter((x) => x !== id) : [...s.ids, id] }));
  },
  setOpen(open) {
    set({ open });
  },
  clear() {
    set({ ids: [], open: false });
  },
}));
