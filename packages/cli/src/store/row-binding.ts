/** A column's value as better-sqlite3 reads and writes it (integers as numbers, BLOBs as bytes). */
export type Field = string | number | Uint8Array | null;

/** A row as better-sqlite3 returns it, by column name. */
export type Row = Readonly<Record<string, Field>>;

const NULL = 0;
const TEXT = 1;
const INTEGER = 2;
const BLOB = 3;

/**
 * One unambiguous byte string for a list of fields: each is a type byte, a 4-byte big-endian
 * length and its bytes, so no two different lists (nor a text and a BLOB of the same bytes)
 * encode alike. Sealed values' associated data and the covered rows' digests are made of it.
 */
export function encodeFields(fields: readonly Field[]): Buffer {
  // One buffer, written in place: this runs for every value sealed or opened, on the message path.
  const bodies = fields.map((field) => (typeof field === "number" ? String(field) : field));
  let length = 0;
  for (const body of bodies) {
    length += 5 + (body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length);
  }
  const encoded = Buffer.allocUnsafe(length);
  let at = 0;
  fields.forEach((field, index) => {
    const body = bodies[index] ?? null;
    let size = 0;
    if (typeof body === "string") size = encoded.write(body, at + 5);
    else if (body !== null) {
      encoded.set(body, at + 5);
      size = body.length;
    }
    encoded.writeUInt8(typeOf(field), at);
    encoded.writeUInt32BE(size, at + 1);
    at += 5 + size;
  });
  return encoded;
}

function typeOf(field: Field): number {
  return field === null ? NULL : typeof field === "string" ? TEXT : typeof field === "number" ? INTEGER : BLOB;
}

/** A sealed column, and the columns of its row a value in it is bound to. */
export interface SealedColumn {
  readonly table: string;
  readonly column: string;
  /**
   * The row's identifying and unsealed columns: a value opens only in a row that agrees with
   * the one it was sealed for in every one of them.
   */
  readonly boundTo: readonly string[];
  /** What a value that does not open is called in the error. */
  what(row: Row): string;
  /** Format 1 left this column unsealed (the outbox's MLS ciphertext, already encrypted). */
  readonly plainInFormat1?: true;
}

const outboxRow = ["room", "send_id", "id", "sent_at"] as const;
const historyRow = ["room", "id", "sender", "sent_at", "server_ts", "seq"] as const;

export const SEALED = {
  identitySecret: {
    table: "identity",
    column: "secret_key",
    boundTo: ["id", "name", "public_key", "server"],
    what: () => "the identity key",
  },
  groupState: {
    table: "groups",
    column: "state",
    boundTo: ["group_id"],
    what: (row) => `the saved state of ${String(row.group_id)}`,
  },
  groupPending: {
    table: "groups",
    column: "pending",
    boundTo: ["group_id"],
    what: (row) => `the pending commit of ${String(row.group_id)}`,
  },
  initPrivate: {
    table: "key_packages",
    column: "init_private",
    boundTo: ["ref", "public_package", "last_resort"],
    what: () => "a KeyPackage's private key",
  },
  hpkePrivate: {
    table: "key_packages",
    column: "hpke_private",
    boundTo: ["ref", "public_package", "last_resort"],
    what: () => "a KeyPackage's private key",
  },
  historyText: {
    table: "history",
    column: "text",
    boundTo: historyRow,
    what: (row) => `a saved message in ${String(row.room)}`,
  },
  /** What else is known of a saved message (reply, edited, deleted, reactions), as JSON. */
  historyExtra: {
    table: "history",
    column: "extra",
    boundTo: historyRow,
    what: (row) => `a saved message in ${String(row.room)}`,
  },
  /** The plaintext (MIMI content) of a message waiting; a format 2 file before MIMI holds its UTF-8 text. */
  outboxText: {
    table: "outbox",
    column: "text",
    boundTo: outboxRow,
    what: (row) => `a message waiting to be sent to ${String(row.room)}`,
  },
  outboxCiphertext: {
    table: "outbox",
    column: "ciphertext",
    boundTo: outboxRow,
    what: (row) => `a message waiting to be sent to ${String(row.room)}`,
    plainInFormat1: true,
  },
} as const satisfies Record<string, SealedColumn>;

/** The passphrase check, bound to the salt it was made with. */
export const CHECK: SealedColumn = {
  table: "sealing",
  column: "check_value",
  boundTo: ["salt"],
  what: () => "the passphrase check",
};

/** The associated data of a value of `sealed` in `row`: table, column and every bound column. */
export function associatedData(sealed: SealedColumn, row: Row): Buffer {
  return encodeFields([sealed.table, sealed.column, ...sealed.boundTo.map((column) => row[column] ?? null)]);
}
