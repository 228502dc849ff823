import { ClientError } from "@secure-chat/client";

/**
 * The plaintext of a sealed record: its fields, each a u32 length and the bytes, so a record
 * of several byte arrays (a group state of megabytes among them) is sealed as one value
 * without a text encoding.
 */
export type Field = Uint8Array | string | number;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

function fieldBytes(field: Field): Uint8Array {
  if (field instanceof Uint8Array) return field;
  return utf8.encode(typeof field === "number" ? String(field) : field);
}

export function packFields(fields: readonly Field[]): Uint8Array {
  const parts = fields.map(fieldBytes);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + 4 + part.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const part of parts) {
    view.setUint32(at, part.length);
    out.set(part, at + 4);
    at += 4 + part.length;
  }
  return out;
}

/** Reads back what `packFields` wrote; `where` names the record in the error when it is malformed. */
export class FieldReader {
  private at = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  bytesField(): Uint8Array {
    if (this.at + 4 > this.bytes.length) throw this.malformed();
    const length = this.view.getUint32(this.at);
    const start = this.at + 4;
    if (start + length > this.bytes.length) throw this.malformed();
    this.at = start + length;
    return this.bytes.slice(start, start + length);
  }

  text(): string {
    return fromUtf8.decode(this.bytesField());
  }

  number(): number {
    const value = Number(this.text());
    if (!Number.isFinite(value)) throw this.malformed();
    return value;
  }

  private malformed(): ClientError {
    return new ClientError("STATE_CORRUPT", `the saved ${this.where} is malformed`);
  }
}
