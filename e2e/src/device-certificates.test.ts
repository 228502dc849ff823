/**
 * The server's side of linked devices, over real sockets to a real server process: a device logs
 * in only with a certificate its account key signed, a revoked one no longer logs in, and the
 * device list it hands out verifies under the account key.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  decodeDeviceListing,
  encodeDeviceCertificate,
  encodeDeviceRevocation,
  signDeviceCertificate,
  signDeviceRevocation,
  verifyDeviceListings,
  type UserName,
} from "@secure-chat/protocol";
import { ServerProcess } from "./harness.js";
import { RawClients, rawIdentity, rawKeyPackage, rawLogin, type RawClient, type RawIdentity } from "./raw-client.js";

describe("device certificates at the server", () => {
  let server: ServerProcess;
  const raws = new RawClients(() => server.url);
  const alice = rawIdentity("alice");
  const alice2 = rawIdentity("alice.2");
  let aliceLink: RawClient;

  before(async () => {
    server = await ServerProcess.start();
    aliceLink = await raws.connect();
    assert.equal((await rawLogin(aliceLink, alice)).answer.type, "login_ok");
  });

  after(async () => {
    if (process.env["DEBUG_DEVICES"]) console.log(server.stderr, JSON.stringify(aliceLink.frames));
    raws.closeAll();
    await server?.kill();
  });

  async function request(client: RawClient, frame: Parameters<RawClient["send"]>[0], answer: "ok" | "devices") {
    client.send(frame);
    return client.next(answer);
  }

  function certificateFor(device: RawIdentity, signer: RawIdentity = alice) {
    return signDeviceCertificate(signer.secretKey, {
      device: device.name as UserName,
      publicKey: device.publicKey,
      label: "laptop",
      addedAt: Date.now(),
    });
  }

  /** A login's answer: login_ok, or the error with its code. */
  async function loginAs(identity: RawIdentity): Promise<{ type: string; code?: string }> {
    const client = await raws.connect();
    const { answer } = await rawLogin(client, identity);
    return answer.type === "error" ? { type: "error", code: answer.code } : { type: answer.type };
  }

  it("a device name nobody certified can't log in, and logging in never registers one", async () => {
    assert.deepEqual(await loginAs(rawIdentity("alice.3")), { type: "error", code: "AUTH_FAILED" });
    assert.deepEqual(await loginAs(rawIdentity("carol.2")), { type: "error", code: "AUTH_FAILED" });
  });

  it("refuses a certificate the account key did not sign, and one sent by another account", async () => {
    const forged = certificateFor(alice2, rawIdentity("mallory"));
    const refused = await request(
      aliceLink,
      { type: "add_device", rid: 3, certificate: encodeDeviceCertificate(forged) },
      "ok",
    );
    assert.equal(refused.type === "error" && refused.code, "BAD_CERTIFICATE");
    const bob = rawIdentity("bob");
    const bobLink = await raws.connect();
    await rawLogin(bobLink, bob);
    const bobs = await request(
      bobLink,
      { type: "add_device", rid: 4, certificate: encodeDeviceCertificate(certificateFor(alice2, bob)) },
      "ok",
    );
    assert.equal(bobs.type === "error" && bobs.code, "BAD_CERTIFICATE");
    const garbage = await request(aliceLink, { type: "add_device", rid: 5, certificate: new Uint8Array(9) }, "ok");
    assert.equal(garbage.type === "error" && garbage.code, "BAD_CERTIFICATE");
    assert.deepEqual(await loginAs(alice2), { type: "error", code: "AUTH_FAILED" });
  });

  it("a certified device logs in with its own key only; the list verifies under the account key", async () => {
    const certificate = encodeDeviceCertificate(certificateFor(alice2));
    assert.equal((await request(aliceLink, { type: "add_device", rid: 6, certificate }, "ok")).type, "ok");
    const again = await request(aliceLink, { type: "add_device", rid: 7, certificate }, "ok");
    assert.equal(again.type === "error" && again.code, "BAD_ARGUMENT", "a device name is never reused");
    assert.deepEqual(await loginAs(alice2), { type: "login_ok" });
    assert.deepEqual(await loginAs(rawIdentity("alice.2")), { type: "error", code: "NAME_TAKEN" });
    const listed = await request(aliceLink, { type: "list_devices", rid: 8, name: "alice" }, "devices");
    assert.equal(listed.type, "devices");
    if (listed.type !== "devices") return;
    const listings = listed.listings.map((bytes) => decodeDeviceListing(bytes)!);
    const verified = verifyDeviceListings("alice" as UserName, alice.publicKey, listings);
    assert.deepEqual(verified.refused, []);
    assert.deepEqual(
      verified.devices.map((d) => [d.device, d.label, d.revoked, d.lastSeen > 0]),
      [["alice.2", "laptop", false, true]],
    );
  });

  it("revoked by another device of the account, a device can no longer log in; peers see the signed revocation", async () => {
    const alice3 = rawIdentity("alice.3");
    const certificate = encodeDeviceCertificate(certificateFor(alice3));
    assert.equal((await request(aliceLink, { type: "add_device", rid: 9, certificate }, "ok")).type, "ok");
    const link3 = await raws.connect();
    assert.equal((await rawLogin(link3, alice3)).answer.type, "login_ok");
    link3.send({
      type: "upload_key_packages",
      rid: 2,
      keyPackages: [await rawKeyPackage("alice.3", alice3), await rawKeyPackage("alice.3", alice3)],
      lastResort: new Uint8Array(),
    });
    assert.equal((await link3.next("ok")).type, "ok");
    const bobLink = await raws.connect();
    await rawLogin(bobLink, rawIdentity("bob2"));
    bobLink.send({ type: "claim_key_package", rid: 11, name: "alice.3" });
    assert.equal((await bobLink.next("key_package")).type, "key_package", "one of its two KeyPackages (control)");
    // alice.2 revokes alice.3: any device of the account may, none may revoke the first.
    const link2 = await raws.connect();
    await rawLogin(link2, alice2);
    /** alice.2 signs a revocation of `device` as `signer`: the server's answer's code, or "ok". */
    const revoke = async (device: string, signer: string): Promise<string> => {
      const revocation = signDeviceRevocation(alice2.secretKey, {
        device: device as UserName,
        revokedAt: Date.now(),
        signer: signer as UserName,
      });
      const answer = await request(
        link2,
        { type: "revoke_device", rid: 10, revocation: encodeDeviceRevocation(revocation) },
        "ok",
      );
      return answer.type === "error" ? answer.code : answer.type;
    };
    assert.equal(await revoke("alice", "alice.2"), "BAD_CERTIFICATE", "the first device can't be revoked");
    assert.equal(await revoke("alice.3", "alice"), "BAD_CERTIFICATE", "signed as another device");
    assert.equal(await revoke("alice.3", "alice.2"), "ok");
    // Its open connection is told; its next login is refused.
    const told = await link3.next("error");
    assert.equal(told.type === "error" && told.code, "DEVICE_REVOKED");
    assert.deepEqual(await loginAs(alice3), { type: "error", code: "DEVICE_REVOKED" });
    const listed = await request(bobLink, { type: "list_devices", rid: 13, name: "alice" }, "devices");
    if (listed.type !== "devices") assert.fail(JSON.stringify(listed));
    const verified = verifyDeviceListings(
      "alice" as UserName,
      alice.publicKey,
      listed.listings.map((b) => decodeDeviceListing(b)!),
    );
    assert.deepEqual(
      verified.devices.map((d) => [d.device, d.revoked]),
      [
        ["alice.2", false],
        ["alice.3", true],
      ],
    );
    // Nobody can add it anywhere again: its KeyPackages are gone.
    bobLink.send({ type: "claim_key_package", rid: 14, name: "alice.3" });
    const claimed = await bobLink.next("key_package");
    assert.equal(claimed.type === "error" && claimed.code, "NO_KEY_PACKAGE");
  });
});
