/**
 * The GroupInfo's external_pub extension (RFC 9420 §12.4.3.2), in both cipher suites: what we
 * publish is the RFC's encoding byte for byte, read here by hand along the RFC's structures;
 * we join (and the members accept the join) from an RFC-form GroupInfo someone else made, and
 * from one in ts-mls 1.6.4's form, as servers stored them before (the migration); tampered or
 * malformed ones are refused.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createGroupInfoWithExternalPubAndRatchetTree,
  type CiphersuiteImpl,
  type ClientState,
  type GroupInfo,
} from "ts-mls";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import { varLenDataEncoder } from "ts-mls/codec/variableLength.js";
import { signGroupInfo, verifyGroupInfoSignature } from "ts-mls/groupInfo.js";
import { cipherSuites, type CipherSuiteKey, type GroupId, type UserName } from "@secure-chat/protocol";
import { GroupEngine } from "../src/engine/group-engine.js";
import type { EngineReads } from "../src/engine/incoming.js";
import { clientConfig } from "../src/engine/mls/config.js";
import { decodeMessage, encodeMessage } from "../src/engine/mls/groups.js";
import { loadCipherSuite } from "../src/engine/mls/suite.js";
import { errorCode } from "../src/errors.js";
import { generateIdentity, type Identity } from "../src/identity.js";
import { NOW } from "./engine-members.js";

const lobby = "#lobby" as GroupId;
const trustAll = clientConfig({ validateCredential: async () => true });
const nothingStored: EngineReads = { keyPackages: async () => [], message: async () => undefined };

/**
 * Per suite: the length of its HPKE public keys (RFC 9180's Npk: 32 for DHKEM(X25519); 1216 for
 * X-Wing), and the RFC 9420 §2.1.2 length prefixes of the ExternalPub (`extension_data<V>`) and of
 * the key inside it (`HPKEPublicKey<V>`), worked out by hand: 33 = 0x21 and 32 = 0x20 take the
 * 1-byte form (00xxxxxx), 1218 = 0x04C2 and 1216 = 0x04C0 the 2-byte form (01xxxxxx xxxxxxxx).
 */
const suites: Record<CipherSuiteKey, { keyLength: number; dataPrefix: number[]; keyPrefix: number[] }> = {
  x25519: { keyLength: 32, dataPrefix: [0x21], keyPrefix: [0x20] },
  xwing: { keyLength: 1216, dataPrefix: [0x44, 0xc2], keyPrefix: [0x44, 0xc0] },
};

/** Reads RFC 9420 wire structures by hand (not with ts-mls): fixed-size fields and `<V>` vectors. */
class Wire {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset === this.bytes.length;
  }

  fixed(size: number): Uint8Array {
    assert.ok(this.offset + size <= this.bytes.length, "the structure runs past its bytes");
    this.offset += size;
    return this.bytes.subarray(this.offset - size, this.offset);
  }

  /** A vector (§2.1.2): a 1-, 2- or 4-byte length, its top two bits saying which; then the content. */
  vector(): { encoded: Uint8Array; content: Uint8Array } {
    const start = this.offset;
    const first = this.fixed(1)[0]!;
    let length = first & 0x3f;
    for (const byte of this.fixed((1 << (first >> 6)) - 1)) length = length * 256 + byte;
    const content = this.fixed(length);
    return { encoded: this.bytes.subarray(start, this.offset), content };
  }
}

/** Each `Extension` (extension_type, then extension_data<V>) of an MLSMessage holding a GroupInfo, as encoded. */
function groupInfoExtensions(message: Uint8Array): Uint8Array[] {
  const wire = new Wire(message);
  assert.deepEqual([...wire.fixed(4)], [0, 1, 0, 4], "an MLSMessage (§6): mls10, mls_group_info");
  // GroupContext (§8.1): version, cipher_suite, group_id<V>, epoch, tree_hash<V>,
  // confirmed_transcript_hash<V>, extensions<V>.
  wire.fixed(4);
  wire.vector();
  wire.fixed(8);
  for (let field = 0; field < 3; field++) wire.vector();
  // GroupInfo (§12.4.3): the group_context, extensions<V>, confirmation_tag<V>, signer, signature<V>.
  const extensions = new Wire(wire.vector().content);
  wire.vector();
  wire.fixed(4);
  wire.vector();
  assert.ok(wire.done, "nothing follows the GroupInfo");
  const out: Uint8Array[] = [];
  while (!extensions.done) out.push(Uint8Array.from([...extensions.fixed(2), ...extensions.vector().encoded]));
  return out;
}

function groupInfoOf(bytes: Uint8Array): GroupInfo {
  const message = decodeMessage(bytes);
  assert.equal(message?.wireformat, "mls_group_info");
  return message.groupInfo;
}

/** `info` with its external_pub's data replaced, signed by `signer` (or still under its old signature). */
async function withExternalPub(
  info: GroupInfo,
  extensionData: Uint8Array,
  impl: CiphersuiteImpl,
  signer?: Identity,
): Promise<Uint8Array> {
  const extensions = info.extensions.map((extension) =>
    extension.extensionType === "external_pub" ? { ...extension, extensionData } : extension,
  );
  const tbs = { ...info, extensions };
  const groupInfo = signer === undefined ? tbs : await signGroupInfo(tbs, signer.secretKey, impl.signature);
  return asMessage(groupInfo);
}

function asMessage(groupInfo: GroupInfo): Uint8Array {
  return encodeMessage({ groupInfo, wireformat: "mls_group_info", version: "mls10" });
}

function externalPubData(info: GroupInfo): Uint8Array {
  const extension = info.extensions.find((candidate) => candidate.extensionType === "external_pub");
  assert.ok(extension !== undefined, "the GroupInfo has an external_pub");
  return extension.extensionData;
}

for (const [suite, expected] of Object.entries(suites) as [CipherSuiteKey, (typeof suites)[CipherSuiteKey]][]) {
  const impl = await loadCipherSuite(cipherSuites[suite]);

  describe(`external_pub (${suite})`, () => {
    function user(name: string) {
      const identity = generateIdentity(name as UserName);
      const engine = new GroupEngine({ self: name as UserName, identity, impl, config: trustAll, now: () => NOW });
      let seq = 0;
      const receive = (kind: "commit", payload: Uint8Array, sender: string) =>
        engine.receive({ groupId: lobby, kind, payload, seq: ++seq, serverTs: seq, sender }, nothingStored);
      return { identity, engine, receive };
    }

    /** alice alone in #lobby, at epoch 0; and ts-mls 1.6.4's GroupInfo of it, as servers stored them. */
    async function lobbyOfAlice() {
      const alice = user("alice");
      const made = await alice.engine.newGroup(lobby);
      alice.engine.adoptCreated(lobby, made.state);
      const legacy = await createGroupInfoWithExternalPubAndRatchetTree(made.state, [], impl);
      return { alice, published: made.groupInfo, state: made.state, legacy };
    }

    /** carol joins from `groupInfo`; alice must accept the commit (her external key opens carol's init secret). */
    async function carolJoins(alice: ReturnType<typeof user>, groupInfo: Uint8Array) {
      const carol = user("carol");
      const join = await carol.engine.prepareExternalJoin(lobby, groupInfo);
      const seen = await alice.receive("commit", join.frame.commit, "carol");
      assert.deepEqual(
        seen.events.map((event) => (event.type === "member" ? `${event.name} ${event.change}` : event.type)),
        ["carol joined"],
      );
      assert.equal(alice.engine.table.current(lobby).groupContext.epoch, 1n);
      return join;
    }

    /** The external_pub extension of `message` is RFC 9420's, byte for byte, with the key of `state`'s epoch. */
    async function assertRfcExternalPub(message: Uint8Array, state: ClientState): Promise<void> {
      // RFC 9420 §8: external_pub is the public half of DeriveKeyPair(external_secret).
      const { publicKey } = await impl.hpke.deriveKeyPair(state.keySchedule.externalSecret);
      const key = await impl.hpke.exportPublicKey(publicKey);
      assert.equal(key.length, expected.keyLength, "the suite's KEM public key length");
      const extension = [0x00, 0x04, ...expected.dataPrefix, ...expected.keyPrefix, ...key];
      const found = groupInfoExtensions(message).filter((bytes) => bytes[0] === 0x00 && bytes[1] === 0x04);
      assert.deepEqual(
        found.map((bytes) => [...bytes]),
        [extension],
      );
    }

    it("publishes external_pub as RFC 9420's ExternalPub, signed by the publisher's leaf", async () => {
      const { alice, published, state } = await lobbyOfAlice();
      await assertRfcExternalPub(published, state);
      assert.ok(await verifyGroupInfoSignature(groupInfoOf(published), alice.identity.publicKey, impl.signature));
      // A commit's next GroupInfo too, with the key of the next epoch.
      const prepared = await alice.engine.prepareCommit(lobby, () => ({ proposals: [], added: [], removed: [] }));
      assert.ok(typeof prepared !== "string");
      await assertRfcExternalPub(prepared.frame.groupInfo, prepared.pending);
    });

    it("joins from ts-mls 1.6.4's form (the migration), and republishes the RFC's", async () => {
      const { alice, legacy } = await lobbyOfAlice();
      assert.equal(externalPubData(legacy).length, expected.keyLength, "ts-mls 1.6.4 writes the bare key");
      const join = await carolJoins(alice, asMessage(legacy));
      await assertRfcExternalPub(join.frame.groupInfo, join.pending);
    });

    it("joins from an RFC-form GroupInfo made by someone else; ours is that GroupInfo, byte for byte", async () => {
      const { alice, published, legacy } = await lobbyOfAlice();
      // What another implementation publishes: the ExternalPub, encoded with the codec, signed by alice.
      const rfc = await withExternalPub(
        legacy,
        encode(varLenDataEncoder)(externalPubData(legacy)),
        impl,
        alice.identity,
      );
      // Ed25519 signatures are deterministic: the same GroupInfo, the same bytes.
      assert.deepEqual(published, rfc, "ours is ts-mls's GroupInfo with only external_pub rewritten");
      await carolJoins(alice, rfc);
    });

    it("refuses a tampered RFC-form GroupInfo, and a malformed ExternalPub even when signed", async () => {
      const { alice, legacy } = await lobbyOfAlice();
      const carol = user("carol");
      const rfcData = encode(varLenDataEncoder)(externalPubData(legacy));
      const rfc = groupInfoOf(await withExternalPub(legacy, rfcData, impl, alice.identity));

      // Another key in alice's ExternalPub: her signature no longer verifies.
      const otherKey = Uint8Array.from(rfcData);
      otherKey[otherKey.length - 1]! ^= 1;
      await assert.rejects(
        carol.engine.prepareExternalJoin(lobby, await withExternalPub(rfc, otherKey, impl)),
        /signature/i,
      );

      // Signed by alice, but no ExternalPub of this suite's key: a length one short of the bytes
      // that follow, a byte after the vector, nothing at all.
      const wrongLength = Uint8Array.from(rfcData);
      wrongLength[expected.keyPrefix.length - 1]! -= 1;
      const trailing = Uint8Array.from([...rfcData, 0]);
      for (const data of [wrongLength, trailing, new Uint8Array(0)]) {
        await assert.rejects(
          carol.engine.prepareExternalJoin(lobby, await withExternalPub(rfc, data, impl, alice.identity)),
          (error: unknown) => errorCode(error) === "BAD_MLS" && /not an RFC 9420 ExternalPub/.test(String(error)),
        );
      }
      const withoutExternalPub = {
        ...rfc,
        extensions: rfc.extensions.filter((e) => e.extensionType !== "external_pub"),
      };
      await assert.rejects(
        carol.engine.prepareExternalJoin(
          lobby,
          asMessage(await signGroupInfo(withoutExternalPub, alice.identity.secretKey, impl.signature)),
        ),
        (error: unknown) => errorCode(error) === "BAD_MLS" && /no external_pub/.test(String(error)),
      );
      assert.deepEqual(carol.engine.table.joined(), []);
      assert.equal(carol.engine.table.slot(lobby), undefined, "nothing pending either");
    });
  });
}
