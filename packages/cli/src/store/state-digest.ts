import { createHmac, hash, timingSafeEqual } from "node:crypto";
import { sealedId } from "./field-cipher.js";
import { encodeFields, type Row } from "./row-binding.js";

/**
 * The tables whose rows carry security state: sealing binds a value to its row, but deleting a
 * row (a pin, so a later key substitution goes unwarned; a group; the cursor, so old
 * deliveries come again), editing an unsealed one (a pinned key, an untrusted name) or putting
 * back an older copy of a row leaves nothing that fails to open. So the integrity row holds a
 * digest of each of these tables, every row and column of it (a sealed value by its nonce and
 * tag), under an HMAC; the file is checked against it when opened, and every write that
 * changes one of them renews it.
 * The outbox is covered too: a queued message deleted would silently never be sent, and one
 * that fails to open would stop the send loop. History is not: there can be any number of
 * messages, each is checked when read, and deleting one loses it but forges nothing.
 */
export const COVERED_TABLES = {
  identity: {
    key: ["id"],
    columns: ["id", "name", "public_key", "server"],
    sealed: ["secret_key"],
    what: "the identity",
  },
  groups: { key: ["group_id"], columns: ["group_id"], sealed: ["state", "pending"], what: "the rooms' group states" },
  key_packages: {
    key: ["ref"],
    columns: ["ref", "public_package", "last_resort"],
    sealed: ["init_private", "hpke_private"],
    what: "the KeyPackages",
  },
  pins: { key: ["name"], columns: ["name", "public_key"], sealed: [], what: "the pinned keys" },
  untrusted: { key: ["name"], columns: ["name"], sealed: [], what: "the names whose new key is not trusted yet" },
  meta: { key: ["key"], columns: ["key", "value"], sealed: [], what: "the delivery cursor" },
  outbox: {
    key: ["local_id"],
    columns: ["local_id", "room", "send_id", "id", "sent_at"],
    sealed: ["text", "ciphertext"],
    what: "the messages waiting to be sent",
  },
} as const satisfies Record<
  string,
  { key: readonly string[]; columns: readonly string[]; sealed: readonly string[]; what: string }
>;

export type CoveredTable = keyof typeof COVERED_TABLES;
export const coveredTables = Object.keys(COVERED_TABLES) as CoveredTable[];

const sha256 = (data: string | Uint8Array): string => hash("sha256", data, "hex");
const rowKey = (table: CoveredTable, row: Row): string =>
  encodeFields(COVERED_TABLES[table].key.map((column) => row[column] ?? null)).toString("hex");

/** SHA-256 over every column of the row; a sealed value counts by its nonce and tag (`sealedId`). */
function rowHash(table: CoveredTable, row: Row): string {
  const { columns, sealed } = COVERED_TABLES[table];
  const sealedIds = sealed.map((column) => {
    const value = row[column] ?? null;
    return value instanceof Uint8Array ? sealedId(value) : value;
  });
  return sha256(encodeFields([...columns.map((column) => row[column] ?? null), ...sealedIds]));
}

/** A table's rows (row key -> row hash) and its digest: SHA-256 over the row hashes, sorted. */
interface TableDigest {
  readonly rows: ReadonlyMap<string, string>;
  readonly digest: string;
}

function tableDigest(rows: ReadonlyMap<string, string>): TableDigest {
  return { rows, digest: sha256([...rows.values()].sort().join("")) };
}

/** The covered rows one transaction wrote or deleted: row key -> new row hash, or undefined. */
export class StateChanges {
  readonly tables = new Map<CoveredTable, Map<string, string | undefined>>();

  /** `rows` as written: every column of the table. */
  written(table: CoveredTable, rows: readonly Row[]): void {
    for (const row of rows) this.of(table).set(rowKey(table, row), rowHash(table, row));
  }

  /** `rows` need only their key columns. */
  deleted(table: CoveredTable, rows: readonly Row[]): void {
    for (const row of rows) this.of(table).set(rowKey(table, row), undefined);
  }

  private of(table: CoveredTable): Map<string, string | undefined> {
    let changes = this.tables.get(table);
    if (changes === undefined) this.tables.set(table, (changes = new Map()));
    return changes;
  }
}

/** The digests of the covered tables: a value, each write makes a new one. */
export class StateDigest {
  private constructor(private readonly tables: ReadonlyMap<CoveredTable, TableDigest>) {}

  static of(rowsOf: (table: CoveredTable) => readonly Row[]): StateDigest {
    return new StateDigest(
      new Map(
        coveredTables.map((table) => [
          table,
          tableDigest(new Map(rowsOf(table).map((row) => [rowKey(table, row), rowHash(table, row)]))),
        ]),
      ),
    );
  }

  /** This state with `changes` made; tables they leave alone are shared, not copied. */
  with(changes: StateChanges): StateDigest {
    if (changes.tables.size === 0) return this;
    const tables = new Map(this.tables);
    for (const [table, rows] of changes.tables) {
      const next = new Map(this.tables.get(table)?.rows);
      for (const [key, hash] of rows) {
        if (hash === undefined) next.delete(key);
        else next.set(key, hash);
      }
      tables.set(table, tableDigest(next));
    }
    return new StateDigest(tables);
  }

  /** What the integrity row keeps: each table's digest, as JSON. */
  record(): string {
    return JSON.stringify(Object.fromEntries(coveredTables.map((table) => [table, this.tables.get(table)?.digest])));
  }

  /** The tables whose rows are not those `record` (authenticated by the caller) was made of. */
  differences(record: string): CoveredTable[] {
    const saved = JSON.parse(record) as Partial<Record<CoveredTable, string>>;
    return coveredTables.filter((table) => saved[table] !== this.tables.get(table)?.digest);
  }
}

export function recordMac(macKey: Uint8Array, record: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", macKey).update(record).digest());
}

export function macMatches(macKey: Uint8Array, record: string, mac: Uint8Array): boolean {
  const expected = recordMac(macKey, record);
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}
