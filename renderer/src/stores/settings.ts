import { create } from 'zustand';
import type { Settings } from '../../../shared/contract/channels';

export type Theme = Settings['theme'];
const THEME_KEY = 'backtest-monitor.theme';

function storedTheme(): Theme {
  try {
    return localStorage.getItem(THEME_KEY) === 'light' ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    // Remembered locally too, so the first paint after a restart is already in the right theme.
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    /* storage disabled: the theme still applies for this session */
  }
}

interface SettingsState {
  settings?: Settings;
  theme: Theme;
  setSettings(settings: Settings): void;
  setTheme(theme: Theme): void;
}

export const useSettings = create<SettingsState>((set) => ({
  theme: typeof localStorage === 'undefined' ? 'dark' : storedTheme(),
  setSettings(settings) {
    applyTheme(settings.theme);
    set({ settings, theme: settings.theme });
  },
  setTheme(theme) {
    applyTheme(theme);
    set({ theme });
  },
}));
