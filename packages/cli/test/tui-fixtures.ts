import type { UserName } from "@secure-chat/protocol";
import type { UiEvent, UiMessage } from "@secure-chat/client";
import { initialState, reduce, type TuiAction, type TuiState } from "../src/tui/view-model.js";

/** Helpers for the full-screen UI's tests: events as the terminal receives them. */

let seq = 0;

export function message(room: string, from: string, text: string, id = `m${++seq}`): UiMessage {
  seq++;
  return { type: "message", room, from: from as UserName, text, id, sentAt: 1_000 + seq, serverTs: 2_000 + seq, seq };
}

export function ev(event: UiEvent): TuiAction {
  return { type: "event", event, now: 5_000 };
}

/** The client's link is live (it is before the UI is told it is ready). */
export const live: TuiAction = ev({ type: "link", state: "live" });

export function ready(room = "#lobby"): TuiAction {
  return ev({
    type: "ready",
    name: "alice",
    fingerprint: "aaaa bbbb cccc dddd eeee ffff 0000 1111 2222 3333",
    server: "ws://127.0.0.1:7447",
    cipherSuite: "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
    room,
  });
}

export function joined(room: string, by?: string): TuiAction {
  return ev({ type: "room", room, change: "joined", ...(by === undefined ? {} : { by: by as UserName }) });
}

export function run(actions: TuiAction[], state?: TuiState, size = { cols: 120, rows: 40 }): TuiState {
  let s = state ?? initialState({ self: "alice", server: "ws://127.0.0.1:7447", ...size });
  for (const action of actions) s = reduce(s, action);
  return s;
}

/** alice, ready in #lobby (with bob), also in #dev and @bob. */
export function started(size = { cols: 120, rows: 40 }): TuiState {
  return run(
    [
      joined("#lobby"),
      live,
      ready(),
      joined("#dev"),
      joined("@bob", "bob"),
      {
        type: "members",
        room: "#lobby",
        members: [
          { name: "alice" as UserName, online: true, fingerprint: "aaaa" },
          { name: "bob" as UserName, online: true, fingerprint: "bbbb" },
        ],
      },
    ],
    undefined,
    size,
  );
}
