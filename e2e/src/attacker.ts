/**
 * A client of the library driven as an attacker: its private parts are reached on purpose, to
 * prepare real MLS and then send what the honest client never would.
 */
import type { ClientState } from "ts-mls";
import { errorCode, type ChatClient, type ClientErrorCode } from "@secure-chat/client";
import type { GroupId } from "@secure-chat/protocol";

interface CommitFrame {
  groupInfo: Uint8Array;
  added: string[];
  removed: string[];
}

interface Insides {
  session: {
    link: { connection(): { request(frame: object, answer: string): Promise<unknown> } };
    parts: {
      engine: {
        table: { current(groupId: GroupId): ClientState };
        prepareExternalJoin(groupId: GroupId, groupInfo: Uint8Array): Promise<{ frame: CommitFrame }>;
        prepareCommit(groupId: GroupId, planner: () => object): Promise<{ frame: CommitFrame } | string>;
      };
    };
  };
}

export function attacker(client: ChatClient) {
  const { session } = client as unknown as Insides;
  const request = (frame: object, answer: string): Promise<unknown> => session.link.connection().request(frame, answer);
  return {
    engine: session.parts.engine,
    request,
    async groupInfo(groupId: GroupId): Promise<Uint8Array> {
      const answer = (await request({ type: "get_group_info", rid: 0, groupId }, "group_info")) as {
        groupInfo: Uint8Array;
      };
      return answer.groupInfo;
    },
    /** The code the server refuses `frame` with; undefined if it accepted it. */
    refusal(frame: object): Promise<ClientErrorCode | undefined> {
      return request(frame, "accepted").then(
        () => undefined,
        (error: unknown) => errorCode(error),
      );
    },
  };
}

/** `bytes` with its last byte flipped: for a GroupInfo, a byte of its signature. */
export function flipLastByte(bytes: Uint8Array): Uint8Array {
  const flipped = bytes.slice();
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
  return flipped;
}
