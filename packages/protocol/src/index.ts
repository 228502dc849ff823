export * from "./errors.js";
export * from "./frames.js";
export * from "./codec.js";
export * from "./names.js";
export * from "./login.js";
export * from "./cipher-suites.js";
export * from "./send-id.js";
export * from "./devices.js";
export { ByteReader, ByteWriter, DecodeFailure } from "./binary.js";
