import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSavedRooms, saveRooms } from "../src/tui/saved-rooms.js";

describe("saved room list (rooms.json)", () => {
  it("reads back what was saved; a missing or damaged file is an empty list", () => {
    const home = mkdtempSync(join(tmpdir(), "saved-rooms-"));
    try {
      assert.deepEqual(loadSavedRooms(home), []);
      const rooms = [
        { room: "#lobby", joined: true },
        { room: "+secret", joined: false },
      ];
      saveRooms(home, rooms);
      assert.deepEqual(loadSavedRooms(home), rooms);
      writeFileSync(join(home, "rooms.json"), '{"rooms":[{"room":"#a","joined":true},{"room":5},nul');
      assert.deepEqual(loadSavedRooms(home), []);
      writeFileSync(join(home, "rooms.json"), '{"rooms":[{"room":"#a","joined":true},{"room":5}]}');
      assert.deepEqual(loadSavedRooms(home), [{ room: "#a", joined: true }]);
      saveRooms(join(home, "missing", "folder"), rooms); // a failed write is not an error
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
