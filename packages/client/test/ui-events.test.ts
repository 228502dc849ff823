import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChatEvent } from "@secure-chat/client";
import type { UserName } from "@secure-chat/protocol";
import { UiEvents } from "../src/session/ui-events.js";

const presence = (name: string, online: boolean): ChatEvent => ({ type: "presence", name: name as UserName, online });
const link = (state: "live" | "offline"): ChatEvent => ({ type: "connection", state });

describe("UiEvents: presence", () => {
  it("tells a repeated online (or offline) state once", () => {
    const events = new UiEvents("alice" as UserName);
    const shown = [presence("bob", true), presence("bob", true), presence("bob", false), presence("bob", false)]
      .flatMap((event) => events.from(event))
      .map((event) => (event.type === "presence" ? event.online : undefined));
    assert.deepEqual(shown, [true, false]);
  });

  it("tells the state again after the link dropped, when the client relearns who is online", () => {
    const events = new UiEvents("alice" as UserName);
    events.from(link("live"));
    assert.equal(events.from(presence("bob", true)).length, 1);
    events.from(link("offline"));
    assert.equal(events.from(presence("bob", true)).length, 1);
  });

  it("knows, once live, who the client found online at login", () => {
    const bob = { name: "bob" as UserName, online: true, fingerprint: "" };
    const events = new UiEvents("alice" as UserName, () => [bob]);
    events.from(link("live"));
    assert.deepEqual(events.from(presence("bob", true)), []);
    assert.equal(events.from(presence("bob", false)).length, 1);
  });
});
