/** What opening a link needs from Electron (dialog.showMessageBox, shell.openExternal), so tests can stand in. */
export interface ExternalLinkDeps {
  confirm(url: string): Promise<boolean>;
  open(url: string): Promise<void>;
  log?: (message: string) => void;
}

/** Only plain web links leave the app; anything else (file:, javascript:, custom schemes) is dropped. */
export function isWebLink(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Opens an http(s) link in the system browser after the user confirmed it in a dialog that shows
 * the whole address (a page cannot send them anywhere without their say).
 */
export async function openExternalConfirmed(url: string, deps: ExternalLinkDeps): Promise<boolean> {
  if (!isWebLink(url)) {
    deps.log?.(`refused to open a non-web link: ${url.slice(0, 200)}`);
    return false;
  }
  if (!(await deps.confirm(url))) return false;
  await deps.open(url);
  return true;
}
