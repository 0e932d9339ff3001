/** The application menu: standard edit and view roles, the data folder, and the KAN references; developer tools only when unpackaged. */
import type { MenuItemConstructorOptions } from 'electron';

import { KAN_PAPER_URL, PYKAN_URL } from './links';

export interface MenuActions {
  isMac: boolean;
  isPackaged: boolean;
  openDataFolder: () => void;
  openLink: (url: string) => void;
}

export function menuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(actions.isPackaged ? [] : [{ role: 'toggleDevTools' } as MenuItemConstructorOptions]),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    ...(actions.isMac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Data Folder', click: () => actions.openDataFolder() },
        { type: 'separator' },
        actions.isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'KAN Paper (arXiv 2404.19756)', click: () => actions.openLink(KAN_PAPER_URL) },
        { label: 'pykan', click: () => actions.openLink(PYKAN_URL) },
      ],
    },
  ];
}
