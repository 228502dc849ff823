import {
  appendFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ProtocolError, type GroupId, type UserName } from "@secure-chat/protocol";

/**
 * Encrypted files: the server keeps their ciphertexts (it never sees a key) as files in
 * DATA_DIR/blobs, each with a small JSON record of whose it is, for which group, and how big.
 * A blob is uploaded in chunks by one member, is read by the group's members, counts against
 * its uploader's quota while it is kept, and goes when nobody can refer to it any more.
 */

interface BlobRecord {
  owner: UserName;
  groupId: GroupId;
  size: number;
  complete: boolean;
  createdAt: number;
}

export interface BlobLimits {
  /** Largest blob, in bytes. */
  maxBlobBytes: number;
  /** Bytes of blobs one user may have stored at once. */
  blobQuotaBytes: number;
}

/** A blob id: 16 random bytes, in hex, chosen by the uploader (it names no one and nothing). */
const BLOB_ID = /^[0-9a-f]{32}$/;
/** An upload not finished within this long is taken as abandoned. */
const UNFINISHED_MS = 3_600_000;

export class BlobStore {
  private readonly records = new Map<string, BlobRecord>();
  private readonly usage = new Map<UserName, number>();

  /** Reads what an earlier run kept; makes no folder until the first upload. */
  constructor(
    private readonly dir: string,
    private readonly limits: BlobLimits,
  ) {
    if (!existsSync(dir)) return;
    for (const file of readdirSync(dir)) {
      if (!file.endsWith(".json")) continue;
      const id = file.slice(0, -5);
      try {
        const record = JSON.parse(readFileSync(join(dir, file), "utf8")) as BlobRecord;
        // The data file is the truth for an upload cut short by a crash.
        record.size = existsSync(this.dataPath(id)) ? statSync(this.dataPath(id)).size : 0;
        this.records.set(id, record);
        this.count(record.owner, record.size);
      } catch {
        this.remove(id);
      }
    }
  }

  private dataPath(id: string): string {
    return join(this.dir, id);
  }

  private count(owner: UserName, bytes: number): void {
    this.usage.set(owner, (this.usage.get(owner) ?? 0) + bytes);
  }

  /** Bytes of blobs `owner` has stored now. */
  usedBy(owner: UserName): number {
    return this.usage.get(owner) ?? 0;
  }

  /**
   * Appends a chunk of `blobId`; the first (offset 0) makes it, `last` ends it. A chunk that
   * would go past the size limit or the uploader's quota removes the unfinished blob.
   */
  append(
    owner: UserName,
    groupId: GroupId,
    blobId: string,
    offset: number,
    data: Uint8Array,
    last: boolean,
    now: number,
  ): void {
    if (!BLOB_ID.test(blobId)) throw new ProtocolError("BAD_ARGUMENT", "a blob id is 32 hex digits");
    let record = this.records.get(blobId);
    if (record === undefined && offset === 0) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      record = { owner, groupId, size: 0, complete: false, createdAt: now };
      this.records.set(blobId, record);
      writeFileSync(this.dataPath(blobId), new Uint8Array(0));
      this.saveRecord(blobId, record);
    }
    if (
      record === undefined ||
      record.owner !== owner ||
      record.groupId !== groupId ||
      record.complete ||
      record.size !== offset
    ) {
      throw new ProtocolError(
        "BAD_ARGUMENT",
        `no upload of blob ${blobId} by you to ${groupId} continues at byte ${offset}`,
      );
    }
    if (record.size + data.length > this.limits.maxBlobBytes) {
      this.remove(blobId);
      throw new ProtocolError(
        "BLOB_TOO_LARGE",
        `files are limited to ${this.limits.maxBlobBytes} bytes on this server`,
      );
    }
    if (this.usedBy(owner) + data.length > this.limits.blobQuotaBytes) {
      this.remove(blobId);
      throw new ProtocolError(
        "QUOTA_EXCEEDED",
        `your files on this server may take ${this.limits.blobQuotaBytes} bytes; they would take more`,
      );
    }
    appendFileSync(this.dataPath(blobId), data);
    record.size += data.length;
    this.count(owner, data.length);
    if (last) {
      record.complete = true;
      this.saveRecord(blobId, record);
    }
  }

  private saveRecord(id: string, record: BlobRecord): void {
    writeFileSync(join(this.dir, `${id}.json`), JSON.stringify(record), { mode: 0o600 });
  }

  /** `length` bytes of finished blob `blobId` of `groupId` from `offset`, and its size. */
  read(groupId: GroupId, blobId: string, offset: number, length: number): { data: Uint8Array; size: number } {
    const record = BLOB_ID.test(blobId) ? this.records.get(blobId) : undefined;
    if (record === undefined || !record.complete || record.groupId !== groupId) {
      throw new ProtocolError("NO_SUCH_BLOB", `no file ${blobId} in ${groupId}`);
    }
    const size = Math.max(0, Math.min(length, record.size - offset));
    const data = new Uint8Array(size);
    const fd = openSync(this.dataPath(blobId), "r");
    try {
      if (size > 0) readSync(fd, data, 0, size, offset);
    } finally {
      closeSync(fd);
    }
    return { data, size: record.size };
  }

  /**
   * Deletes the blobs nobody can refer to: of a group that is gone (`groupGone`), older than
   * the messages that could name them (`olderThan`, the retention limit; undefined: none is
   * too old), or unfinished for an hour. Answers how many went.
   */
  async collect(
    groupGone: (groupId: GroupId) => Promise<boolean>,
    now: number,
    olderThan: number | undefined,
  ): Promise<number> {
    let removed = 0;
    // One question per group, however many of its files there are.
    const gone = new Map<GroupId, Promise<boolean>>();
    const isGone = (groupId: GroupId): Promise<boolean> => {
      let answer = gone.get(groupId);
      if (answer === undefined) gone.set(groupId, (answer = groupGone(groupId)));
      return answer;
    };
    for (const [id, record] of [...this.records]) {
      const abandoned = !record.complete && now - record.createdAt > UNFINISHED_MS;
      const old = olderThan !== undefined && record.createdAt < olderThan;
      if (abandoned || old || (await isGone(record.groupId))) {
        this.remove(id);
        removed++;
      }
    }
    return removed;
  }

  private remove(id: string): void {
    const record = this.records.get(id);
    if (record !== undefined) this.count(record.owner, -record.size);
    this.records.delete(id);
    rmSync(this.dataPath(id), { force: true });
    rmSync(join(this.dir, `${id}.json`), { force: true });
  }
}
