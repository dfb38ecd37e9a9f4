import { create } from 'zustand';
import { botKeyFromId, type BotDetail, type BotKey, type BotSummary, type BotWatch, type BotsChanged } from '../../../shared/contract/bots';

interface BotsState {
  bots: BotSummary[];
  watch?: BotWatch;
  loaded: boolean;
  error?: string;
  /** The open bot's id (botIdOf) and what was last read of it. */
  openId?: string;
  detail?: BotDetail;
  detailLoaded: boolean;
  detailError?: string;
  /** `bots.changed` events seen (the view shows the last one's time). */
  changes: number;
  lastChangeAt?: number;
}

interface BotsActions {
  setList(bots: BotSummary[], watch: BotWatch): void;
  setListError(error: string): void;
  open(id: string | undefined): void;
  setDetail(id: string, detail: BotDetail, watch: BotWatch): void;
  setDetailError(id: string, error: string): void;
  noteChange(event: BotsChanged): void;
}

export const useBots = create<BotsState & BotsActions>((set) => ({
  bots: [],
  loaded: false,
  detailLoaded: false,
  changes: 0,
  setList(bots, watch) {
    set({ bots, watch, loaded: true, error: undefined });
  },
  setListError(error) {
    set({ error, loaded: true });
  },
  open(id) {
    set((s) => (s.openId === id ? s : { openId: id, detail: undefined, detailLoaded: false, detailError: undefined }));
  },
  setDetail(id, detail, watch) {
    set((s) => (s.openId === id ? { detail, watch, detailLoaded: true, detailError: undefined } : s));
  },
  setDetailError(id, error) {
    set((s) => (s.openId === id ? { detailError: error, detailLoaded: true } : s));
  },
  noteChange(event) {
    set((s) => ({ changes: s.changes + 1, lastChangeAt: event.at, watch: event.watch }));
  },
}));

/** Reads of one kind start at least this far apart; a change within it is read at its end (well inside the 1 s the view promises). */
export const MIN_READ_GAP_MS = 250;

export interface BotsLoader {
  list(): Promise<{ bots: BotSummary[]; watch: BotWatch }>;
  get(key: BotKey): Promise<{ bot: BotDetail; watch: BotWatch }>;
}

/**
 * Keeps the Bots view current: reads the list (and the open bot) now, again after every
 * `bots.changed` (coalesced: at most one read in flight per kind, one more queued after it), and
 * every `pollMs` for prices. Returns the function that stops it.
 */
export function createBotsRefresher(loader: BotsLoader, describeError: (error: unknown) => string, minGapMs = MIN_READ_GAP_MS) {
  const store = useBots;
  const inFlight = { list: false, detail: false };
  const again = { list: false, detail: false };
  const startedAt = { list: 0, detail: 0 };
  // A bot (or the monitor's own fast replay) writing all the time must not keep the database busy answering this view.
  const later = (kind: 'list' | 'detail', read: () => Promise<void>): void => {
    const wait = Math.max(0, startedAt[kind] + minGapMs - Date.now());
    setTimeout(() => void read(), wait);
  };

  const readList = async (): Promise<void> => {
    if (inFlight.list) {
      again.list = true;
      return;
    }
    inFlight.list = true;
    startedAt.list = Date.now();
    try {
      const { bots, watch } = await loader.list();
      store.getState().setList(bots, watch);
    } catch (error) {
      store.getState().setListError(describeError(error));
    } finally {
      inFlight.list = false;
      if (again.list) {
        again.list = false;
        later('list', readList);
      }
    }
  };

  const readDetail = async (): Promise<void> => {
    const id = store.getState().openId;
    // The id carries the whole key; the request takes exactly the key fields.
    const key = id ? botKeyFromId(id) : undefined;
    if (!id || !key) return;
    if (inFlight.detail) {
      again.detail = true;
      return;
    }
    inFlight.detail = true;
    startedAt.detail = Date.now();
    try {
      const { bot, watch } = await loader.get(key);
      store.getState().setDetail(id, bot, watch);
    } catch (error) {
      store.getState().setDetailError(id, describeError(error));
    } finally {
      inFlight.detail = false;
      if (again.detail) {
        again.detail = false;
        later('detail', readDetail);
      }
    }
  };

  return {
    refreshList: readList,
    refreshDetail: readDetail,
    /** A bot wrote something: read what is on screen again. */
    onChanged(event: BotsChanged): void {
      store.getState().noteChange(event);
      void readList();
      void readDetail();
    },
  };
}
