/**
 * Property-based fuzzing of the server's frame handling: random bytes and mutated valid
 * frames go through `dispatch` on logged-in and fresh connections. Nothing may throw, and a
 * frame the server refuses (an error frame in answer) must leave the database unchanged.
 * `FUZZ_RUNS` sets the number of cases per target (default 10,000).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import fc from "fast-check";
import { applicationMessage, recordingConnection, silentLog, soloGroup } from "./fakes.js";
import { fuzzRuns, mutationsOf } from "@secure-chat/protocol/testing";
import { createGroupInfoWithExternalPubAndRatchetTree, encodeMlsMessage } from "ts-mls";
import { ed25519 } from "@noble/curves/ed25519.js";
import { encodeFrame, signLogin, type ClientFrame, type UserName } from "@secure-chat/protocol";
import { MemoryBus } from "../src/bus/memory-bus.js";
import { defaultServerConfig } from "../src/config.js";
import { createContext, type ServerContext } from "../src/context.js";
import { dispatch } from "../src/dispatch.js";
import { SqliteStorage } from "../src/storage/sqlite-storage.js";

const runs = fuzzRuns(10_000);

type FakeConnection = ReturnType<typeof recordingConnection>;

describe("dispatch under random and mutated frames", () => {
  // A RAM-backed folder where there is one: the fuzzer tests logic, not fsync.
  const dir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "secure-chat-fuzz-"));
  const file = path.join(dir, "server.sqlite");
  let ctx: ServerContext;
  let snapshotDb: Database.Database;
  const corpus: Uint8Array[] = [];
  const alice = "alice" as UserName;
  const aliceKey = ed25519.keygen();

  const open = (): FakeConnection => recordingConnection();
  const loggedIn = (): FakeConnection => recordingConnection(alice);
  /** Handlers that await storage (SQLite answers within the turn) have answered by the next one. */
  const handled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  /** Changes whenever another connection (the server's) commits a write to the file. */
  function dataVersion(): number {
    return snapshotDb.pragma("data_version", { simple: true }) as number;
  }

  /** Everything the server stores, as one comparable string. */
  function snapshot(): string {
    const tables = ["users", "key_packages", "groups", "commits", "memberships", "messages"];
    return tables
      .map((table) => JSON.stringify(snapshotDb.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()))
      .join("\n");
  }

  before(async () => {
    const config = { ...defaultServerConfig, cipherSuite: "x25519" as const, maxFrameBytes: 64 * 1024 };
    // Cursors reach the disk only when the test flushes them, never in the middle of a check.
    ctx = createContext(config, new SqliteStorage(file), new MemoryBus(), silentLog, 3_600_000);
    snapshotDb = new Database(file, { readonly: true });

    // A real session: alice registers, stocks a KeyPackage and creates #fuzz.
    const session = open();
    // Answers to writes wait for the disk (DurabilityGate): each step waits until they are out.
    const send = async (frame: ClientFrame): Promise<void> => {
      const bytes = encodeFrame(frame);
      corpus.push(bytes);
      dispatch(ctx, session.connection, bytes);
      await new Promise((resolve) => setImmediate(resolve)); // the send batcher's turn
      await new Promise((resolve) => ctx.durable.after(resolve));
    };
    await send({ type: "hello", rid: 1, name: alice, publicKey: aliceKey.publicKey });
    const challenge = session.received.find((f) => f.type === "challenge");
    assert.ok(challenge?.type === "challenge");
    await send({ type: "login", rid: 2, signature: signLogin(aliceKey.secretKey, challenge.nonce, alice) });
    assert.ok(session.received.some((f) => f.type === "login_ok"));

    const fuzzGroup = await soloGroup(alice, aliceKey, "#fuzz");
    const { impl, state, keyPackageBytes: kpBytes } = fuzzGroup;
    await send({ type: "upload_key_packages", rid: 3, keyPackages: [kpBytes], lastResort: kpBytes });
    const groupInfo = await createGroupInfoWithExternalPubAndRatchetTree(state, [], impl);
    await send({
      type: "create_group",
      rid: 4,
      groupId: "#fuzz",
      groupInfo: encodeMlsMessage({ groupInfo, wireformat: "mls_group_info", version: "mls10" }),
    });
    await send({
      type: "send",
      rid: 5,
      groupId: "#fuzz",
      sendId: new Uint8Array(16).fill(1),
      message: await applicationMessage(fuzzGroup),
    });
    for (const frame of [
      { type: "get_group_info", rid: 6, groupId: "#fuzz" },
      { type: "lookup_keys", rid: 7, names: ["alice", "bob"] },
      { type: "claim_key_package", rid: 8, name: "alice" },
      { type: "list_rooms", rid: 9, after: "" },
      { type: "list_online", rid: 10 },
      { type: "ping", rid: 11 },
      { type: "ack", seq: 1 },
      {
        type: "commit",
        rid: 12,
        groupId: "#fuzz",
        commit: new Uint8Array(40),
        groupInfo: new Uint8Array(),
        welcome: new Uint8Array(),
      },
    ] satisfies ClientFrame[]) {
      await send(frame);
    }
    const errors = session.received.filter((f) => f.type === "error");
    assert.equal(errors.length, 1, `the corpus should be valid but for the fake commit: ${JSON.stringify(errors)}`);
  });

  it("detects a write with data_version (the fuzz oracle works)", async () => {
    const version = dataVersion();
    const before = snapshot();
    dispatch(ctx, loggedIn().connection, encodeFrame({ type: "ack", seq: 2 }));
    await handled();
    await ctx.cursors.flush();
    assert.notEqual(dataVersion(), version);
    assert.notEqual(snapshot(), before);
  });

  after(async () => {
    snapshotDb?.close();
    await ctx?.cursors.close();
    await ctx?.storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The corpus is filled in `before`: pick from it when a case is generated.
  const mutated = mutationsOf(fc.nat().map((index) => corpus[index % corpus.length] ?? new Uint8Array(0)));

  const targets = [
    { name: "random bytes", input: fc.uint8Array({ maxLength: 512 }) },
    {
      name: "random bytes after a valid header",
      input: fc
        .uint8Array({ maxLength: 512 })
        .chain((tail) => fc.integer({ min: 1, max: 13 }).map((id) => Uint8Array.from([1, id, ...tail]))),
    },
    { name: "mutated valid frames", input: mutated },
  ];

  for (const target of targets) {
    for (const who of ["a logged-in", "a fresh"] as const) {
      it(`never throws on ${target.name} from ${who} connection, and refusals change nothing`, async () => {
        await fc.assert(
          fc.asyncProperty(target.input, async (bytes) => {
            const fake = who === "a fresh" ? open() : loggedIn();
            const version = dataVersion();
            dispatch(ctx, fake.connection, bytes);
            await handled();
            if (fake.received.some((frame) => frame.type === "error")) {
              assert.equal(dataVersion(), version, "a refused frame wrote to the database");
            }
          }),
          { numRuns: runs },
        );
      });
    }
  }
});
