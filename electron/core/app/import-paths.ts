import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, resolve, sep } from 'node:path';
import { ContractFailure } from '../../../shared/contract/result';

/**
 * One answer for every path that may not be read (outside the folders, missing, a symlink out,
 * a device, a FIFO, a folder, unreadable): a client learns nothing about the host's files.
 */
export const PATH_REFUSED =
  'cannot import that path: path imports read only regular files inside the import folders set on the host (--import-dir / BACKTEST_MONITOR_IMPORT_DIRS); upload the file instead';

export interface ImportablePath {
  /** The real path (symlinks resolved) to read. */
  file: string;
  bytes: number;
}

function refused(): ContractFailure {
  return new ContractFailure('forbidden', PATH_REFUSED, [{ path: 'source.path', message: 'not an importable file' }]);
}

async function realDirs(dirs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    try {
      found.push(await realpath(dir));
    } catch {
      // A configured folder that does not exist (yet) holds nothing to import.
    }
  }
  return found;
}

/**
 * Checks a `candles.import {kind: 'path'}` request before anything is read: the real path (every
 * symlink resolved) must lie inside one of the configured import folders, be a regular file (not
 * a FIFO, a device such as /dev/zero, or a folder) and be no larger than `maxBytes`. A relative
 * path is taken inside the first import folder.
 */
export async function resolveImportPath(requested: string, importDirs: readonly string[], maxBytes: number): Promise<ImportablePath> {
  if (importDirs.length === 0) {
    throw new ContractFailure('forbidden', 'path imports are turned off on this host (no import folder is set); upload the file instead', [
      { path: 'source.path', message: 'path imports are off' },
    ]);
  }
  const dirs = await realDirs(importDirs);
  const candidate = isAbsolute(requested) ? requested : resolve(importDirs[0]!, requested);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw refused();
  }
  if (!dirs.some((dir) => real.startsWith(dir.endsWith(sep) ? dir : dir + sep))) throw refused();
  // Open without following a last-moment symlink and without blocking on a FIFO, then ask the
  // opened file (not the path) what it is.
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
  } catch {
    throw refused();
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw refused();
    if (stats.size > maxBytes) {
      throw new ContractFailure('invalid_payload', `the file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit for candle files`, [
        { path: 'source.path', message: 'too large' },
      ]);
    }
    return { file: real, bytes: stats.size };
  } finally {
    await handle.close();
  }
}
