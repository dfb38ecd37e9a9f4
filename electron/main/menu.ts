import { Menu, shell, type MenuItemConstructorOptions } from 'electron';
import { VIEWS } from '../../shared/contract/events';

/** The application menu: standard edit/window roles plus one shortcut per view. */
export function installMenu(showView: (view: (typeof VIEWS)[number]) => void): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...VIEWS.map((view, i): MenuItemConstructorOptions => ({ label: view, accelerator: `CmdOrCtrl+${i + 1}`, click: () => showView(view) })),
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Start MongoDB (Docker Compose)…', click: () => void shell.openExternal('https://docs.docker.com/compose/') }],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
