import { ByteReader, ByteWriter, DecodeFailure } from "./binary.js";
import type { ErrorCode } from "./errors.js";
import { PROTOCOL_VERSION, frameSchemas, type FieldKind, type Frame, type FrameType } from "./frames.js";

/** Largest list the decoder accepts, so a hostile count can't make us allocate wildly. */
const MAX_LIST_LENGTH = 10_000;

const schemaById = new Map<number, FrameType>(
  Object.entries(frameSchemas).map(([type, schema]) => [schema.id, type as FrameType]),
);

/** Each frame type's fields in wire order, listed once rather than on every frame. */
const fieldsByType = new Map<FrameType, [string, FieldKind][]>(
  Object.entries(frameSchemas).map(([type, schema]) => [
    type as FrameType,
    Object.entries(schema.fields) as [string, FieldKind][],
  ]),
);

/** Encoding is synchronous, so one writer serves every frame. */
const writer = new ByteWriter();

function writeField(writer: ByteWriter, kind: FieldKind, value: unknown): void {
  switch (kind) {
    case "u8":
      return writer.u8(value as number);
    case "u32":
      return writer.u32(value as number);
    case "u53":
      return writer.u53(value as number);
    case "bool":
      return writer.u8(value ? 1 : 0);
    case "bytes":
      return writer.bytes(value as Uint8Array);
    case "str":
      return writer.str(value as string);
    case "strs":
      writer.u32((value as string[]).length);
      for (const item of value as string[]) writer.str(item);
      return;
    case "bytesList":
      writer.u32((value as Uint8Array[]).length);
      for (const item of value as Uint8Array[]) writer.bytes(item);
      return;
  }
}

function readList<T>(reader: ByteReader, readItem: () => T): T[] {
  const count = reader.u32();
  if (count > MAX_LIST_LENGTH) throw new DecodeFailure("list too long");
  const items: T[] = [];
  for (let i = 0; i < count; i++) items.push(readItem());
  return items;
}

function readField(reader: ByteReader, kind: FieldKind): unknown {
  switch (kind) {
    case "u8":
      return reader.u8();
    case "u32":
      return reader.u32();
    case "u53":
      return reader.u53();
    case "bool": {
      const byte = reader.u8();
      if (byte > 1) throw new DecodeFailure("bad boolean");
      return byte === 1;
    }
    case "bytes":
      return reader.bytes();
    case "str":
      return reader.str();
    case "strs":
      return readList(reader, () => reader.str());
    case "bytesList":
      return readList(reader, () => reader.bytes());
  }
}

export function encodeFrame(frame: Frame): Uint8Array {
  const record = frame as unknown as Record<string, unknown>;
  try {
    writer.u8(PROTOCOL_VERSION);
    writer.u8(frameSchemas[frame.type].id);
    for (const [name, kind] of fieldsByType.get(frame.type)!) writeField(writer, kind, record[name]);
  } catch (error) {
    // An unknown type or a field of the wrong type throws; the next frame must not start after
    // this one's bytes.
    writer.discard();
    throw error;
  }
  return writer.finish();
}

export type DecodeResult = { kind: "ok"; frame: Frame } | { kind: "error"; code: ErrorCode; message: string };

/** Decodes one frame. Never throws: bad bytes become a `{kind: "error"}` with a stable code. */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 2) return { kind: "error", code: "BAD_FRAME", message: "frame is shorter than its header" };
  if (bytes[0] !== PROTOCOL_VERSION) {
    return {
      kind: "error",
      code: "UNSUPPORTED_VERSION",
      message: `protocol version ${String(bytes[0])} is not supported (this side speaks ${PROTOCOL_VERSION})`,
    };
  }
  const type = schemaById.get(bytes[1] ?? 0);
  if (type === undefined) {
    return { kind: "error", code: "UNKNOWN_FRAME", message: `unknown frame type ${String(bytes[1])}` };
  }
  const reader = new ByteReader(bytes.subarray(2));
  const frame: Record<string, unknown> = { type };
  try {
    for (const [name, kind] of fieldsByType.get(type)!) frame[name] = readField(reader, kind);
  } catch (error) {
    if (!(error instanceof DecodeFailure)) throw error;
    return { kind: "error", code: "BAD_FRAME", message: `malformed ${type} frame: ${error.message}` };
  }
  if (!reader.done) return { kind: "error", code: "BAD_FRAME", message: `malformed ${type} frame: trailing bytes` };
  return { kind: "ok", frame: frame as Frame };
}
