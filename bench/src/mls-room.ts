/**
 * Real MLS material for the server scenarios (suite X25519, the server runs with
 * `--suite x25519`): one Ed25519 login key per user, which is also the key of the user's
 * real KeyPackage; a group at epoch 0 with its GroupInfo; add commits in batches, each with
 * its Welcome and next GroupInfo (the server checks each commit); and a PrivateMessage of ciphertext size for `send`. Made once per room size
 * and replayed against every fresh server: the server only reads the MLS headers.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { randomBytes } from "node:crypto";
import {
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCapabilities,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  type CiphersuiteImpl,
  type ClientState,
} from "ts-mls";
import { clientConfig } from "@secure-chat/client";
import type { BenchUser } from "./load/secure-chat-client.js";

export const BENCH_SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;

export interface RoomCommit {
  commit: Uint8Array;
  /** The GroupInfo of the epoch the commit leads to, which the server checks the commit against. */
  groupInfo: Uint8Array;
  welcome: Uint8Array;
}

export interface RoomPlan {
  groupId: string;
  /** users[0] creates the room and commits the adds. */
  users: BenchUser[];
  groupInfo: Uint8Array;
  commits: RoomCommit[];
  epoch: bigint;
  /** Bytes of a commit and of a KeyPackage (for the report). */
  sizes: { keyPackage: number; largestCommit: number; largestWelcome: number };
}

let implPromise: Promise<CiphersuiteImpl> | undefined;
function impl(): Promise<CiphersuiteImpl> {
  implPromise ??= getCiphersuiteImpl(getCiphersuiteFromName(BENCH_SUITE));
  return implPromise;
}

export function benchUser(name: string): BenchUser {
  const { secretKey, publicKey } = ed25519.keygen();
  return { name, secretKey, publicKey };
}

export function benchUsers(prefix: string, count: number): BenchUser[] {
  return Array.from({ length: count }, (_, i) => benchUser(`${prefix}${i}`));
}

const config = clientConfig({ validateCredential: async () => true });
const lifetime = (): { notBefore: bigint; notAfter: bigint } => {
  const now = BigInt(Math.floor(Date.now() / 1000));
  return { notBefore: now - 3600n, notAfter: now + 86_400n };
};

async function keyPackage(user: BenchUser, cs: CiphersuiteImpl) {
  return generateKeyPackageWithKey(
    { credentialType: "basic", identity: new TextEncoder().encode(user.name) },
    defaultCapabilities(),
    lifetime(),
    [],
    { signKey: user.secretKey, publicKey: user.publicKey },
    cs,
  );
}

async function groupInfoOf(state: ClientState, cs: CiphersuiteImpl): Promise<Uint8Array> {
  return encodeMlsMessage({
    groupInfo: await createGroupInfoWithExternalPubAndRatchetTree(state, [], cs),
    wireformat: "mls_group_info",
    version: "mls10",
  });
}

/**
 * An invite-only room `+NAME` of `users.length` members, added `batch` at a time. Welcomes
 * leave out the ratchet tree: nobody processes them here, and the server stores one copy per
 * added member, so a tree of 1,000 leaves in each would only bloat the setup.
 */
export async function planRoom(groupId: string, users: BenchUser[], batch: number): Promise<RoomPlan> {
  const cs = await impl();
  const creator = users[0]!;
  const creatorPackage = await keyPackage(creator, cs);
  let state: ClientState = await createGroup(
    new TextEncoder().encode(groupId),
    creatorPackage.publicPackage,
    creatorPackage.privatePackage,
    [],
    cs,
    config,
  );
  const groupInfo = await groupInfoOf(state, cs);
  const keyPackageBytes = encodeMlsMessage({
    keyPackage: creatorPackage.publicPackage,
    wireformat: "mls_key_package",
    version: "mls10",
  }).length;
  const commits: RoomCommit[] = [];
  for (let from = 1; from < users.length; from += batch) {
    const members = users.slice(from, from + batch);
    const packages = [];
    for (const member of members) packages.push(await keyPackage(member, cs));
    const result = await createCommit(
      { state, cipherSuite: cs },
      {
        ratchetTreeExtension: false,
        wireAsPublicMessage: true,
        extraProposals: packages.map((kp) => ({ proposalType: "add" as const, add: { keyPackage: kp.publicPackage } })),
      },
    );
    state = result.newState;
    if (result.welcome === undefined) throw new Error("an add commit without a Welcome");
    commits.push({
      commit: encodeMlsMessage(result.commit),
      groupInfo: await groupInfoOf(state, cs),
      welcome: encodeMlsMessage({ welcome: result.welcome, wireformat: "mls_welcome", version: "mls10" }),
    });
  }
  return {
    groupId,
    users,
    groupInfo,
    commits,
    epoch: state.groupContext.epoch,
    sizes: {
      keyPackage: keyPackageBytes,
      largestCommit: Math.max(0, ...commits.map((c) => c.commit.length)),
      largestWelcome: Math.max(0, ...commits.map((c) => c.welcome.length)),
    },
  };
}

/**
 * An MLS PrivateMessage (application content) for `groupId` at `epoch`, `size` bytes long,
 * with random sender data and ciphertext. Its last 8 bytes are the ciphertext's last bytes,
 * where the generator writes the send time.
 */
export function applicationMessage(groupId: string, epoch: bigint, size: number): Uint8Array {
  const encode = (ciphertextBytes: number): Uint8Array =>
    encodeMlsMessage({
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: {
        groupId: new TextEncoder().encode(groupId),
        epoch,
        contentType: "application",
        authenticatedData: new Uint8Array(0),
        encryptedSenderData: new Uint8Array(randomBytes(28)),
        ciphertext: new Uint8Array(randomBytes(ciphertextBytes)),
      },
    });
  const overhead = encode(100).length - 100;
  return encode(Math.max(16, size - overhead));
}
