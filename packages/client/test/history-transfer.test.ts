import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import type { GroupId, UserName } from "@secure-chat/protocol";
import {
  HISTORY_PER_ROOM,
  decodeArchive,
  encodeArchive,
  openArchive,
  sealArchive,
  type RoomHistory,
} from "../src/devices/history-transfer.js";
import { ClientError } from "../src/errors.js";

const lobby = "#lobby" as GroupId;
const team = "+team" as GroupId;

function room(groupId: GroupId, count: number): RoomHistory {
  const entries = Array.from({ length: count }, (_, i) => ({
    room: groupId,
    id: `${groupId}-${i}`.padEnd(24, "0"),
    from: (i % 2 === 0 ? "alice" : "bob") as UserName,
    text: `message ${i} in ${groupId}`,
    sentAt: 1_000 + i,
    serverTs: 2_000 + i,
    seq: 10 + i,
  }));
  return { room: groupId, entries };
}

const rooms = [room(lobby, 3), room(team, 2)];
const commitment = new Uint8Array(32).fill(7);

/** The archive's JSON with `edit` applied to its parsed form. */
function edited(edit: (archive: { entries: Record<string, unknown>[]; count: number }[]) => void): Uint8Array {
  const archive = JSON.parse(new TextDecoder().decode(encodeArchive(rooms))) as Parameters<typeof edit>[0];
  edit(archive);
  return new TextEncoder().encode(JSON.stringify(archive));
}

const refusedWith = (pattern: RegExp) => (error: unknown) =>
  error instanceof ClientError && error.code === "BAD_ARGUMENT" && pattern.test(error.message);

describe("history transfer", () => {
  it("seals to the new device's exchange key and opens there as it was", async () => {
    const device = x25519.keygen();
    const sealed = await sealArchive(encodeArchive(rooms), device.publicKey, commitment);
    const opened = decodeArchive(await openArchive(sealed, device.secretKey, commitment));
    assert.deepEqual(opened, rooms);
  });

  it("a cut or altered ciphertext, another key or another link's commitment does not open", async () => {
    const device = x25519.keygen();
    const sealed = await sealArchive(encodeArchive(rooms), device.publicKey, commitment);
    const flipped = sealed.ciphertext.slice();
    flipped[5] = (flipped[5] ?? 0) ^ 1;
    const cases = [
      { ...sealed, ciphertext: sealed.ciphertext.slice(0, -1) },
      { ...sealed, ciphertext: sealed.ciphertext.slice(0, sealed.ciphertext.length / 2) },
      { ...sealed, ciphertext: flipped },
    ];
    for (const bad of cases)
      await assert.rejects(openArchive(bad, device.secretKey, commitment), refusedWith(/does not open/));
    await assert.rejects(openArchive(sealed, x25519.keygen().secretKey, commitment), refusedWith(/does not open/));
    await assert.rejects(openArchive(sealed, device.secretKey, new Uint8Array(32)), refusedWith(/does not open/));
  });

  it("an archive with a message dropped, reordered or changed is refused as a whole by its hash chain or count", () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ["last entry dropped", edited((a) => void a[0]!.entries.pop()), /count is wrong/],
      [
        "last entry dropped, count fixed",
        edited((a) => {
          a[0]!.entries.pop();
          a[0]!.count--;
        }),
        /hash chain/,
      ],
      ["entries swapped", edited((a) => a[0]!.entries.reverse()), /hash chain/],
      ["text changed", edited((a) => void (a[1]!.entries[0]!["text"] = "forged")), /hash chain/],
      ["sender changed", edited((a) => void (a[1]!.entries[1]!["from"] = "carol")), /hash chain/],
      [
        "a whole room dropped is just fewer rooms, but a bad room name is refused",
        edited((a) => void ((a[0] as unknown as Record<string, unknown>)["room"] = "lobby")),
        /malformed/,
      ],
    ];
    for (const [what, bytes, pattern] of cases) assert.throws(() => decodeArchive(bytes), refusedWith(pattern), what);
    assert.throws(() => decodeArchive(new TextEncoder().encode("not json")), refusedWith(/not an archive/));
  });

  it("keeps the last HISTORY_PER_ROOM messages of each room", () => {
    const [long] = decodeArchive(encodeArchive([room(lobby, HISTORY_PER_ROOM + 5)]));
    assert.equal(long?.entries.length, HISTORY_PER_ROOM);
    assert.equal(long?.entries[0]?.seq, 10 + 5);
  });
});
