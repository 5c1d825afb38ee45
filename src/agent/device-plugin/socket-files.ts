/** Telling one socket file from the next at the same path (a restarted kubelet's, or ours). */
import { lstat } from 'node:fs/promises';

/**
 * The file's identity, or undefined when there is none. A deleted and re-created file may get
 * the same inode number back at once, so the change time is part of the identity.
 */
export async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await lstat(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.ctimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
