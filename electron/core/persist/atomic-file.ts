import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import { LocalWriteError } from './contract';

/** The file-system calls the atomic writer uses; tests substitute `open` to simulate a full disk. */
export interface FileOps {
  open: typeof fsp.open;
  rename: typeof fsp.rename;
  rm: typeof fsp.rm;
}

export const nodeFileOps: FileOps = { open: fsp.open, rename: fsp.rename, rm: fsp.rm };

export const TEMP_SUFFIX = '.tmp';
let tempCounter = 0;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * A temp file whose writer is gone was never renamed, so its key still holds the previous value
 * and the file is garbage. Temp files of live writers (this process or another) are in flight.
 */
export function isAbandonedTempFile(name: string): boolean {
  const pid = Number(name.match(/\.(\d+)\.[0-9a-z]+\.tmp$/)?.[1]);
  if (!name.endsWith(TEMP_SUFFIX) || !Number.isInteger(pid) || pid <= 0) return false;
  return pid !== process.pid && !isRunning(pid);
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Replaces `path` with `data` so that a reader (or a crash) sees either the old or the new content,
 * never a mix: write a temp file beside it, fsync it, rename over the target, fsync the directory.
 * On failure the temp file is removed and the old file is untouched.
 */
export async function writeFileAtomic(path: string, data: string, ops: FileOps = nodeFileOps): Promise<void> {
  const temp = `${path}.${process.pid}.${(tempCounter++).toString(36)}${TEMP_SUFFIX}`;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await ops.open(temp, 'w');
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await ops.rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await ops.rm(temp, { force: true }).catch(() => undefined);
    throw new LocalWriteError(path, errorCode(error), error);
  }
  await syncDirectory(dirname(path));
}

/** Makes a rename durable; some platforms (Windows) cannot open a directory, which is fine there. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort: the rename itself is atomic either way
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export async function readFileIfExists(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

export async function removeFileIfExists(path: string): Promise<boolean> {
  try {
    await fsp.unlink(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
