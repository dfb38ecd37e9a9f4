import { Menu } from 'electron';
import { buildMenuTemplate, type MenuOptions } from './menu-template';

export type { MenuOptions };

export function installMenu(options: MenuOptions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(options)));
}
