// Types only: this module must load without the electron binary (tests).
import type { MenuItemConstructorOptions } from 'electron';
import { VIEWS } from '../../shared/contract/events';

export interface MenuOptions {
  showView: (view: (typeof VIEWS)[number]) => void;
  /** Opens the folder dialog; the strategies folder is chosen here only, never through the contract. */
  chooseStrategiesDir: () => void;
  clearStrategiesDir: () => void;
  /** Reload and DevTools only in development. */
  development: boolean;
  /** Opens the Docker Compose guide (after a confirmation). */
  openComposeGuide: () => void;
}

/** The application menu: standard edit/window roles, one shortcut per view, the strategies folder. */
export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const isMac = process.platform === 'darwin';
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Choose Strategies Folder…', click: () => options.chooseStrategiesDir() },
        { label: 'Use Built-in Strategies Only', click: () => options.clearStrategiesDir() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...VIEWS.map((view, i): MenuItemConstructorOptions => ({ label: view, accelerator: `CmdOrCtrl+${i + 1}`, click: () => options.showView(view) })),
        { type: 'separator' },
        ...(options.development ? [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }] : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Start MongoDB (Docker Compose)…', click: () => options.openComposeGuide() }],
    },
  ];
}
