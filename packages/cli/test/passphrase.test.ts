import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientError } from "@secure-chat/client";
import { PASSPHRASE_ENV, unlockHome } from "../src/passphrase.js";

/** A prompt that answers with `typed`, one line per question, and records the questions. */
function typing(...typed: string[]) {
  const asked: string[] = [];
  return {
    asked,
    prompt: (question: string): Promise<string> => {
      asked.push(question);
      const next = typed.shift();
      return next === undefined ? Promise.reject(new Error(`nothing typed for ${question}`)) : Promise.resolve(next);
    },
  };
}

const existingHome = (): string => {
  const home = mkdtempSync(join(tmpdir(), "secure-chat-pass-"));
  writeFileSync(join(home, "client.db"), "");
  return home;
};
const newHome = (): string => join(mkdtempSync(join(tmpdir(), "secure-chat-pass-")), "home");

/** Opens only with "right passphrase", as the store does. */
const open = (passphrase: string): string => {
  if (passphrase !== "right passphrase")
    throw new ClientError("BAD_PASSPHRASE", "wrong passphrase for this home folder");
  return "opened";
};

describe("passphrase", () => {
  delete process.env[PASSPHRASE_ENV];

  it("asks again after a wrong passphrase, saying how many tries are left", async () => {
    const told: string[] = [];
    const keys = typing("wrong", "still wrong", "right passphrase");
    assert.equal(await unlockHome(existingHome(), open, keys.prompt, (line) => told.push(line)), "opened");
    assert.deepEqual(keys.asked, ["Passphrase: ", "Passphrase: ", "Passphrase: "]);
    assert.deepEqual(told, [
      "wrong passphrase for this home folder; try again (2 tries left)",
      "wrong passphrase for this home folder; try again (1 try left)",
    ]);
  });

  it("gives up with BAD_PASSPHRASE after three wrong ones", async () => {
    const keys = typing("a", "b", "c", "right passphrase");
    await assert.rejects(
      unlockHome(existingHome(), open, keys.prompt, () => undefined),
      { code: "BAD_PASSPHRASE" },
    );
    assert.equal(keys.asked.length, 3);
  });

  it("asks for a new passphrase again when it is too short or typed differently", async () => {
    const told: string[] = [];
    const keys = typing("short", "right passphrase", "rihgt passphrase", "right passphrase", "right passphrase");
    const home = newHome();
    assert.equal(await unlockHome(home, open, keys.prompt, (line) => told.push(line)), "opened");
    assert.equal(keys.asked.filter((q) => q.startsWith("Choose")).length, 3);
    assert.match(told[0] ?? "", /needs at least 8 characters.*; try again \(2 tries left\)/);
    assert.match(told[1] ?? "", /the two passphrases differ; try again \(1 try left\)/);
  });

  it("tries the environment's passphrase once (scripts can't type another)", async () => {
    process.env[PASSPHRASE_ENV] = "wrong";
    try {
      await assert.rejects(
        unlockHome(existingHome(), open, typing().prompt, () => undefined),
        {
          code: "BAD_PASSPHRASE",
        },
      );
    } finally {
      delete process.env[PASSPHRASE_ENV];
    }
  });

  it("without a terminal and without the variable, says how to give one", async () => {
    await assert.rejects(
      unlockHome(existingHome(), open, undefined, () => undefined),
      { code: "NO_PASSPHRASE" },
    );
  });
});
