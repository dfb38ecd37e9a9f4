import { create } from 'zustand';

/** The views of the navigation, in the order the sidebar shows them. */
export const VIEWS = ['sessions', 'optimize', 'bots', 'candles', 'notifications', 'state', 'storage', 'logs', 'settings'] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  /** Sessions: the open run; State: the selected run; Bots: the open bot (botIdOf); Optimize: the open sweep. */
  runId?: string;
  /** Sessions run page: the trade to highlight. */
  signalId?: string;
}

export function isView(value: string): value is View {
  return (VIEWS as readonly string[]).includes(value);
}

/** `#/sessions/<runId>?signal=<id>`: the hash keeps reloads and deep links (OS notification clicks) working. */
export function parseHash(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const [first = '', second] = path.split('/').map(decodeURIComponent);
  const view = isView(first) ? first : 'sessions';
  const signalId = new URLSearchParams(query).get('signal') ?? undefined;
  return { view, runId: second || undefined, signalId };
}

export function formatHash(route: Route): string {
  let out = `#/${route.view}`;
  if (route.runId) out += `/${encodeURIComponent(route.runId)}`;
  if (route.signalId) out += `?signal=${encodeURIComponent(route.signalId)}`;
  return out;
}

interface RouteStore extends Route {
  navigate(route: Route): void;
}

export const useRoute = create<RouteStore>((set) => ({
  ...parseHash(typeof location === 'undefined' ? '' : location.hash),
  navigate(route) {
    const hash = formatHash(route);
    if (location.hash !== hash) history.pushState(null, '', hash);
    set({ view: route.view, runId: route.runId, signalId: route.signalId });
  },
}));

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    const r = parseHash(location.hash);
    useRoute.setState({ view: r.view, runId: r.runId, signalId: r.signalId });
  });
}

export const navigate = (route: Route): void => useRoute.getState().navigate(route);
