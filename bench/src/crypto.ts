/**
 * Client-side MLS costs per cipher suite, with the client's own configuration.
 * The authentication service here trusts every credential: this measures cryptography,
 * not directory look-ups (which the real client batches and caches).
 */
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCapabilities,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  joinGroupExternal,
  processMessage,
  type CiphersuiteImpl,
  type CiphersuiteName,
  type ClientState,
} from "ts-mls";
import { clientConfig } from "@secure-chat/client";
import { median, timeIt } from "./stats.js";

const config = clientConfig({ validateCredential: async () => true });
const lifetime = (): { notBefore: bigint; notAfter: bigint } => {
  const now = BigInt(Math.floor(Date.now() / 1000));
  return { notBefore: now - 60n, notAfter: now + 86_400n };
};

async function keyPackage(name: string, impl: CiphersuiteImpl) {
  return generateKeyPackage(
    { credentialType: "basic", identity: new TextEncoder().encode(name) },
    defaultCapabilities(),
    lifetime(),
    [],
    impl,
  );
}

export interface CryptoResult {
  suite: string;
  members: number;
  keyPackageMs: number;
  keyPackageBytes: number;
  encryptMs: number;
  decryptMs: number;
  addCommitMs: number;
  addCommitBytes: number;
  welcomeBytes: number;
  updateCommitMs: number;
  processCommitMs: number;
  externalJoinMs: number;
  welcomeJoinMs: number;
}

/** A group of `size` members built with one big commit, plus a second member's view. */
async function buildGroup(size: number, impl: CiphersuiteImpl) {
  const creator = await keyPackage("m0", impl);
  let state = await createGroup(
    new TextEncoder().encode(`bench-${size}`),
    creator.publicPackage,
    creator.privatePackage,
    [],
    impl,
    config,
  );
  const second = await keyPackage("m1", impl);
  const others = [];
  for (let i = 2; i < size; i++) others.push(await keyPackage(`m${i}`, impl));
  const commit = await createCommit(
    { state, cipherSuite: impl },
    {
      ratchetTreeExtension: true,
      extraProposals: [second, ...others].map((kp) => ({
        proposalType: "add" as const,
        add: { keyPackage: kp.publicPackage },
      })),
    },
  );
  state = commit.newState;
  const peer = await joinGroup(
    commit.welcome!,
    second.publicPackage,
    second.privatePackage,
    emptyPskIndex,
    impl,
    undefined,
    undefined,
    config,
  );
  return { state, peer };
}

export async function measureSuite(suite: CiphersuiteName, size: number, runs: number): Promise<CryptoResult> {
  const impl = await getCiphersuiteImpl(getCiphersuiteFromName(suite));
  const { state, peer } = await buildGroup(size, impl);
  const keyPackageMs = await median(runs, () => keyPackage("x", impl));
  const sample = await keyPackage("x", impl);
  const keyPackageBytes = encodeMlsMessage({
    keyPackage: sample.publicPackage,
    wireformat: "mls_key_package",
    version: "mls10",
  }).length;

  // Encrypt at the creator, decrypt at the peer, message by message.
  let sender: ClientState = state;
  let receiver: ClientState = peer;
  const encryptTimes: number[] = [];
  const decryptTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const enc = await timeIt(() => createApplicationMessage(sender, new Uint8Array(256), impl));
    sender = enc.value.newState;
    encryptTimes.push(enc.ms);
    const dec = await timeIt(() =>
      processMessage(
        { privateMessage: enc.value.privateMessage, wireformat: "mls_private_message" },
        receiver,
        emptyPskIndex,
        () => "accept",
        impl,
      ),
    );
    receiver = dec.value.newState;
    decryptTimes.push(dec.ms);
  }
  const mid = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  const joiner = await keyPackage("joiner", impl);
  const add = await timeIt(() =>
    createCommit(
      { state: sender, cipherSuite: impl },
      {
        ratchetTreeExtension: true,
        extraProposals: [{ proposalType: "add", add: { keyPackage: joiner.publicPackage } }],
      },
    ),
  );
  const welcomeJoin = await timeIt(() =>
    joinGroup(
      add.value.welcome!,
      joiner.publicPackage,
      joiner.privatePackage,
      emptyPskIndex,
      impl,
      undefined,
      undefined,
      config,
    ),
  );
  const update = await timeIt(() => createCommit({ state: sender, cipherSuite: impl }, {}));
  const processCommit = await timeIt(() =>
    processMessage(update.value.commit as never, receiver, emptyPskIndex, () => "accept", impl),
  );
  const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(sender, [], impl);
  const external = await keyPackage("outsider", impl);
  const externalJoin = await timeIt(() =>
    joinGroupExternal(groupInfo, external.publicPackage, external.privatePackage, false, impl, undefined, config),
  );
  return {
    suite,
    members: size,
    keyPackageMs,
    keyPackageBytes,
    encryptMs: mid(encryptTimes),
    decryptMs: mid(decryptTimes),
    addCommitMs: add.ms,
    addCommitBytes: encodeMlsMessage(add.value.commit).length,
    welcomeBytes: encodeMlsMessage({ welcome: add.value.welcome!, wireformat: "mls_welcome", version: "mls10" }).length,
    updateCommitMs: update.ms,
    processCommitMs: processCommit.ms,
    externalJoinMs: externalJoin.ms,
    welcomeJoinMs: welcomeJoin.ms,
  };
}
