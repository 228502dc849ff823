import { readFile, stat, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { ClientError, type FilePort } from "@secure-chat/client";

/** /send and /save on this computer's files. */

const TYPES: Record<string, string> = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".mp4": "video/mp4",
  ".zip": "application/zip",
};

/**
 * A sender's file name as a name in one folder: no folders (`../../.bashrc` is `.bashrc`, then
 * `bashrc`), no control characters, no leading dots (no hidden files), at most 200 characters.
 */
export function safeFileName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const cleaned = last.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "").replace(/^\.+/, "");
  return cleaned.slice(0, 200) || "file";
}

function unreadable(path: string, error: unknown): ClientError {
  return new ClientError("BAD_ARGUMENT", `cannot read ${path}: ${(error as Error).message}`);
}

export const localFiles: FilePort = {
  async read(path) {
    const info = await stat(path).catch((error: unknown) => {
      throw unreadable(path, error);
    });
    if (!info.isFile()) throw new ClientError("BAD_ARGUMENT", `${path} is not a file`);
    const bytes = new Uint8Array(
      await readFile(path).catch((error: unknown) => Promise.reject(unreadable(path, error))),
    );
    return {
      name: basename(path),
      contentType: TYPES[extname(path).toLowerCase()] ?? "application/octet-stream",
      bytes,
    };
  },

  async write(path, name, bytes) {
    const folder =
      path === undefined ? "." : (await stat(path).catch(() => undefined))?.isDirectory() ? path : undefined;
    const target = folder === undefined ? (path ?? safeFileName(name)) : join(folder, safeFileName(name));
    // Never over an existing file: a sender's name must not replace one of yours.
    await writeFile(target, bytes, { flag: "wx", mode: 0o600 }).catch((error: unknown) => {
      const exists = (error as { code?: string }).code === "EEXIST";
      throw new ClientError(
        "BAD_ARGUMENT",
        exists
          ? `${target} exists: give another PATH (/save ID PATH)`
          : `cannot write ${target}: ${(error as Error).message}`,
      );
    });
    return target;
  },
};
