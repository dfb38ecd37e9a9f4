import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import type { Interval } from '../../../shared/candles';
import { call } from '../api/client';
import { formatTime } from '../lib/format';
import { useCompare } from '../stores/compare';
import { navigate, VIEWS, type View } from '../stores/route';
import { sortRuns, useRuns } from '../stores/runs';
import { create } from 'zustand';

/**
 * Keyboard shortcuts (a `?` sheet lists them) and the command palette (Ctrl/Cmd+K): go to a page,
 * a run or a stored symbol, or start a new session, by typing a few letters.
 */

/** A series the palette asked the Candles view to show. */
export const useCandlePick = create<{ pick?: { exchangeName: string; symbol: string; interval: Interval }; set(pick: { exchangeName: string; symbol: string; interval: Interval }): void }>((set) => ({
  set(pick) {
    set({ pick });
  },
}));

const LABEL: Record<View, string> = {
  sessions: 'Sessions',
  optimize: 'Optimize',
  bots: 'Bots',
  candles: 'Candles',
  notifications: 'Notifications',
  state: 'State',
  storage: 'Storage',
  logs: 'Logs',
  settings: 'Settings',
};

export const SHORTCUTS: Array<[string, string]> = [
  ['Ctrl/⌘ K', 'Command palette: pages, runs, symbols, new session'],
  ['?', 'This sheet'],
  ['n', 'New session'],
  ...VIEWS.slice(0, 9).map((v, i): [string, string] => [String(i + 1), `Go to ${LABEL[v]}`]),
  ['j / k', 'Run page: next / previous trade (↓ / ↑ once one is picked)'],
  ['Esc', 'Close this, the palette, or unpick the trade'],
];

interface Command {
  id: string;
  label: string;
  hint?: string;
  run(): void;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

function newSession(): void {
  useCompare.getState().setOpen(false);
  navigate({ view: 'sessions' });
  // The form is the first thing on the page; put the cursor in it.
  setTimeout(() => document.querySelector<HTMLElement>('[data-testid="new-session-form"] select, [data-testid="new-session-form"] button')?.focus(), 50);
}

function Palette({ onClose }: { onClose(): void }): ReactElement {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [series, setSeries] = useState<Array<{ exchangeName: string; symbol: string; interval: Interval; count: number }>>([]);
  const runs = useRuns((s) => s.byId);
  useEffect(() => {
    call('candles.symbols', {})
      .then((r) => setSeries(r.series.filter((s) => s.count > 0)))
      .catch(() => setSeries([]));
  }, []);
  const commands = useMemo<Command[]>(() => {
    const out: Command[] = [{ id: 'new', label: 'New session', hint: 'n', run: newSession }];
    VIEWS.forEach((v, i) => out.push({ id: `go-${v}`, label: `Go to ${LABEL[v]}`, hint: String(i + 1), run: () => navigate({ view: v }) }));
    for (const r of sortRuns(runs).slice(0, 50)) {
      out.push({
        id: `run-${r.runId}`,
        label: `Run: ${r.name ? `${r.name} · ` : ''}${r.strategyName} · ${r.symbols.join(', ')} · ${r.interval}`,
        hint: `${r.status} · ${formatTime(r.startedAt ?? r.createdAt)}`,
        run: () => navigate({ view: 'sessions', runId: r.runId }),
      });
    }
    for (const s of series) {
      out.push({
        id: `sym-${s.exchangeName}-${s.symbol}-${s.interval}`,
        label: `Candles: ${s.symbol} · ${s.interval}`,
        hint: s.exchangeName,
        run: () => {
          useCandlePick.getState().set({ exchangeName: s.exchangeName, symbol: s.symbol, interval: s.interval });
          navigate({ view: 'candles' });
        },
      });
    }
    return out;
  }, [runs, series]);
  // Every word typed must appear in the label, in any order.
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = commands.filter((c) => words.every((w) => c.label.toLowerCase().includes(w))).slice(0, 30);
  const pick = (c: Command | undefined): void => {
    if (!c) return;
    onClose();
    c.run();
  };
  const listRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [active]);
  return (
    <div className="overlay" onMouseDown={onClose} data-testid="command-palette">
      <div className="palette" role="dialog" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()}>
        <input
          autoFocus
          aria-label="Command"
          placeholder="Go to a page, a run or a symbol…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setActive((a) => Math.min(shown.length - 1, a + 1));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((a) => Math.max(0, a - 1));
            } else if (e.key === 'Enter') {
              e.preventDefault();
              pick(shown[active]);
            } else if (e.key === 'Escape') {
              e.preventDefault();
              onClose();
            }
          }}
        />
        <div className="palette-list" role="listbox" ref={listRef}>
          {shown.length === 0 && <div className="faint" style={{ padding: 12 }}>Nothing matches “{query}”.</div>}
          {shown.map((c, i) => (
            <div key={c.id} role="option" aria-selected={i === active} className="palette-item" onMouseEnter={() => setActive(i)} onClick={() => pick(c)} data-command={c.id}>
              <span>{c.label}</span>
              {c.hint && <span className="faint">{c.hint}</span>}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

function Sheet({ onClose }: { onClose(): void }): ReactElement {
  return (
    <div className="overlay" onMouseDown={onClose} data-testid="shortcuts-sheet">
      <div className="palette" role="dialog" aria-label="Keyboard shortcuts" onMouseDown={(e) => e.stopPropagation()} style={{ padding: 16 }}>
        <h2 style={{ margin: '0 0 10px', fontSize: 15 }}>Keyboard shortcuts</h2>
        <table className="data">
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <td style={{ width: 110 }}>
                  <kbd>{keys}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The global key handler and the two overlays it opens. */
export function Shortcuts(): ReactElement | null {
  const [open, setOpen] = useState<'palette' | 'sheet' | undefined>();
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setOpen((o) => (o === 'palette' ? undefined : 'palette'));
        return;
      }
      if (e.key === 'Escape') {
        setOpen(undefined);
        return;
      }
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '?') {
        e.preventDefault();
        setOpen((o) => (o === 'sheet' ? undefined : 'sheet'));
      } else if (e.key === 'n') {
        e.preventDefault();
        newSession();
      } else if (/^[1-9]$/.test(e.key)) {
        const view = VIEWS[Number(e.key) - 1];
        if (view) {
          e.preventDefault();
          navigate({ view });
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  if (open === 'palette') return <Palette onClose={() => setOpen(undefined)} />;
  if (open === 'sheet') return <Sheet onClose={() => setOpen(undefined)} />;
  return null;
}
