import type { CiphersuiteImpl, ClientState, Extension, GroupInfo } from "ts-mls";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import { decodeVarLenData, varLenDataEncoder } from "ts-mls/codec/variableLength.js";
import { createGroupInfoWithRatchetTree } from "ts-mls/createCommit.js";
import { ClientError } from "../../errors.js";
import { sameKey } from "../../identity.js";

/*
 * The GroupInfo's external_pub extension as RFC 9420 (§12.4.3.2) has it: its extension_data is
 * the encoded struct `ExternalPub { HPKEPublicKey external_pub; }`, and `HPKEPublicKey` is
 * `opaque<V>`, so the data is the key as a variable-length vector (length prefix, then key).
 * ts-mls 1.6.4 puts the bare key there, and reads it back that way, so an RFC-conformant
 * implementation could not join our open rooms by external commit, nor we theirs. The fix is in
 * ts-mls only from 2.0.0-rc.12 (PR #449), not in any 1.x release; until a release has it, this
 * adapter writes the RFC form and reads both (GroupInfos servers stored before are in ts-mls's
 * form, until the group's next commit republishes it).
 */

const encodeVector = encode(varLenDataEncoder);

/**
 * The GroupInfo every committer publishes: what ts-mls's `createGroupInfoWithExternalPubAndRatchetTree`
 * makes (external_pub, then ratchet_tree, signed by our leaf), with external_pub in the RFC form.
 * Built from ts-mls's parts rather than rewritten afterwards: the signature covers the
 * extensions, so a rewrite would sign the GroupInfo, tree and all, a second time (about 30 ms per
 * MB of tree here; an X-Wing tree of 1,000 members is megabytes). The test holds it to ts-mls's
 * GroupInfo with only that extension rewritten.
 */
export async function groupInfoWithExternalPub(state: ClientState, impl: CiphersuiteImpl): Promise<GroupInfo> {
  // RFC 9420 §8: the external key pair is DeriveKeyPair(external_secret), as ts-mls derives it.
  const { publicKey } = await impl.hpke.deriveKeyPair(state.keySchedule.externalSecret);
  const externalPub: Extension = {
    extensionType: "external_pub",
    extensionData: encodeVector(await impl.hpke.exportPublicKey(publicKey)),
  };
  const { groupContext, confirmationTag, ratchetTree } = state;
  return createGroupInfoWithRatchetTree(groupContext, confirmationTag, state, ratchetTree, [externalPub], impl);
}

/**
 * The suite to hand ts-mls's `joinGroupExternal` for `groupInfo`, whose external_pub may be in
 * either form; `keyLength` is the length of the suite's HPKE public keys. In ts-mls's form (the
 * bare key) that is `impl` itself. In the RFC form it is `impl` with one change: importing
 * exactly that extension's bytes as an HPKE public key imports the key inside them.
 *
 * Why this and not a GroupInfo rewritten to ts-mls's form: `joinGroupExternal` verifies the
 * GroupInfo's signature over the extensions it is given, so a rewritten one would need its
 * signature check bypassed. This way ts-mls checks everything (tree, credentials, the signature
 * over the bytes the signer really signed) on the GroupInfo as it came, and only the reading of
 * the key it encrypts the external init secret to changes. The two forms can't be confused: a
 * bare key is exactly `keyLength` bytes, the RFC form is longer by its length prefix.
 */
export function externalJoinSuite(groupInfo: GroupInfo, keyLength: number, impl: CiphersuiteImpl): CiphersuiteImpl {
  const extension = groupInfo.extensions.find((candidate) => candidate.extensionType === "external_pub");
  if (extension === undefined) {
    throw new ClientError("BAD_MLS", "the GroupInfo has no external_pub extension, so it can't be joined from");
  }
  const data = extension.extensionData;
  if (data.length === keyLength) return impl;
  const key = externalPubKey(data, keyLength);
  if (key === undefined) {
    throw new ClientError("BAD_MLS", "the GroupInfo's external_pub extension is not an RFC 9420 ExternalPub");
  }
  const importPublicKey = (bytes: Uint8Array) => impl.hpke.importPublicKey(sameKey(bytes, data) ? key : bytes);
  return { ...impl, hpke: { ...impl.hpke, importPublicKey } };
}

/** The key in an encoded ExternalPub: one vector filling `data`, holding `keyLength` bytes. */
function externalPubKey(data: Uint8Array, keyLength: number): Uint8Array | undefined {
  let decoded: [Uint8Array, number] | undefined;
  try {
    decoded = decodeVarLenData(data, 0);
  } catch {
    return undefined; // ts-mls's decoder throws on a truncated or 8-byte length prefix
  }
  if (decoded === undefined || decoded[1] !== data.length || decoded[0].length !== keyLength) return undefined;
  return decoded[0];
}
