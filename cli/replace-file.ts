/**
 * Writing a file a user owns (`mxcc fmt` in place, `mxcc import -o`) without ever leaving it half
 * written: the new text goes to a temporary file beside it, is flushed to disk, and is renamed over
 * the old one, so a full disk or a crash leaves the old text. The file keeps its mode and, where
 * this process may set them, its owner and group; a symlink is followed (its target is replaced).
 * Where that cannot be done (a directory this process may not write, an owner it may not give), the
 * file is written in place as before.
 */
import { closeSync, constants, fchmodSync, fchownSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import * as path from 'node:path';

export function replaceFile(file: string, text: string): void {
  let target = file;
  let mode = 0o666 & ~process.umask();
  let owner: { uid: number; gid: number } | undefined;
  try {
    target = realpathSync(file);
    const st = statSync(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.mxcc-tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch {
    writeInPlace(target, text, mode);
    return;
  }
  let open = true;
  const discard = (): void => {
    if (open) closeSync(fd);
    open = false;
    rmSync(tmp, { force: true });
  };
  try {
    if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) {
      try {
        fchownSync(fd, owner.uid, owner.gid);
      } catch {
        discard();
        writeInPlace(target, text, mode);
        return;
      }
    }
    writeAll(fd, text);
    fchmodSync(fd, mode);
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    renameSync(tmp, target);
  } catch (e) {
    discard();
    throw e;
  }
}

function writeInPlace(file: string, text: string, mode: number): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, mode);
  try {
    writeAll(fd, text);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}
