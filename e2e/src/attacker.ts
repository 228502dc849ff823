/**
 * A client of the library driven as an attacker: its private parts are reached on purpose, to
 * prepare real MLS and then send what the honest client never would.
 */
import {
  createCommit,
  createGroupInfoWithExternalPubAndRatchetTree,
  decodeMlsMessage,
  encodeMlsMessage,
  type CiphersuiteImpl,
  type ClientState,
  type Hpke,
} from "ts-mls";
import { errorCode, type ChatClient, type ClientErrorCode } from "@secure-chat/client";
import type { GroupId } from "@secure-chat/protocol";

interface CommitFrame {
  commit: Uint8Array;
  groupInfo: Uint8Array;
  welcome: Uint8Array;
}

interface Insides {
  session: {
    link: { connection(): { request(frame: object, answer: string): Promise<unknown> } };
    parts: {
      engine: {
        table: { current(groupId: GroupId): ClientState };
        prepareExternalJoin(groupId: GroupId, groupInfo: Uint8Array): Promise<{ frame: CommitFrame }>;
        prepareCommit(
          groupId: GroupId,
          planner: () => object,
        ): Promise<{ frame: CommitFrame; pending: ClientState } | string>;
        lost(groupId: GroupId, pending: ClientState): unknown;
        newGroup(groupId: GroupId): Promise<{ state: ClientState; groupInfo: Uint8Array }>;
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

/** A Welcome message with a byte of its encrypted GroupInfo flipped: for the right KeyPackages, but unusable. */
export function spoiledWelcome(bytes: Uint8Array): Uint8Array {
  const message = decodeMlsMessage(bytes, 0)?.[0];
  if (message?.wireformat !== "mls_welcome") throw new Error("not a Welcome");
  const encryptedGroupInfo = message.welcome.encryptedGroupInfo.slice();
  encryptedGroupInfo[0] = (encryptedGroupInfo[0] ?? 0) ^ 1;
  return encodeMlsMessage({ ...message, welcome: { ...message.welcome, encryptedGroupInfo } });
}

/** `bytes` with its last byte flipped: for a GroupInfo, a byte of its signature. */
export function flipLastByte(bytes: Uint8Array): Uint8Array {
  const flipped = bytes.slice();
  flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
  return flipped;
}

const random = (length: number): Uint8Array => crypto.getRandomValues(new Uint8Array(length));

/** A `commit` frame whose payload is random bytes behind a valid PrivateMessage header (the wedge of issue 13). */
export function garbageCommit(groupId: GroupId, epoch: bigint) {
  const commit = encodeMlsMessage({
    wireformat: "mls_private_message",
    version: "mls10",
    privateMessage: {
      groupId: new TextEncoder().encode(groupId),
      epoch,
      contentType: "commit",
      authenticatedData: new Uint8Array(0),
      encryptedSenderData: random(48),
      ciphertext: random(400),
    },
  });
  return { type: "commit", rid: 0, groupId, commit, groupInfo: new Uint8Array(0), welcome: new Uint8Array(0) };
}

/**
 * A real, correctly signed update commit from `state` whose encrypted path secrets are random
 * (only those sealed to `victims`' HPKE keys, if given): the server can't tell, and those members
 * can't process it. Made with an HPKE that seals random bytes instead of the path secret;
 * everything else is the library's own.
 */
export async function brokenPathCommit(
  groupId: GroupId,
  state: ClientState,
  impl: CiphersuiteImpl,
  victims?: Uint8Array[],
) {
  const hpke: Hpke = Object.create(impl.hpke) as Hpke;
  const isVictim = async (publicKey: Parameters<Hpke["seal"]>[0]): Promise<boolean> => {
    if (victims === undefined) return true;
    const raw = await impl.hpke.exportPublicKey(publicKey);
    return victims.some((key) => Buffer.from(key).equals(raw));
  };
  hpke.seal = async (publicKey, plaintext, info, aad) =>
    impl.hpke.seal(publicKey, (await isVictim(publicKey)) ? random(plaintext.length) : plaintext, info, aad);
  const result = await createCommit(
    { state, cipherSuite: { ...impl, hpke } },
    { ratchetTreeExtension: true, wireAsPublicMessage: true },
  );
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(result.newState, [], impl);
  return {
    type: "commit",
    rid: 0,
    groupId,
    commit: encodeMlsMessage(result.commit),
    groupInfo: encodeMlsMessage({ groupInfo, wireformat: "mls_group_info", version: "mls10" }),
    welcome: new Uint8Array(0),
  };
}
