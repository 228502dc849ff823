import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseArgs, type FlagSpec } from "../src/args.js";

describe("parseArgs", () => {
  const spec: FlagSpec = { server: "string", home: "string", json: "boolean" };

  it("parses string and boolean flags and keeps positionals in order", () => {
    assert.deepEqual(parseArgs(["--server", "ws://h:1", "alice", "--json", "extra"], spec), {
      kind: "ok",
      flags: { server: "ws://h:1", json: true },
      positionals: ["alice", "extra"],
    });
    assert.deepEqual(parseArgs([], spec), { kind: "ok", flags: {}, positionals: [] });
    assert.deepEqual(parseArgs(["-x", "alice"], spec), { kind: "ok", flags: {}, positionals: ["-x", "alice"] });
  });

  it("accepts --flag=value, keeping any further = in the value", () => {
    assert.deepEqual(parseArgs(["--server=ws://h:1/p?a=b&c=d", "--home=/tmp/x y"], spec), {
      kind: "ok",
      flags: { server: "ws://h:1/p?a=b&c=d", home: "/tmp/x y" },
      positionals: [],
    });
  });

  it("rejects an unknown flag, naming it", () => {
    for (const argv of [["--nope"], ["--nope=1"], ["alice", "--verbose"], ["--"], ["--Server", "x"]]) {
      const result = parseArgs(argv, spec);
      assert.equal(result.kind, "error", JSON.stringify(argv));
      if (result.kind === "error") assert.match(result.message, /unknown flag --/);
    }
    const named = parseArgs(["--nope"], spec);
    assert.ok(named.kind === "error" && named.message.includes("--nope"));
  });

  it("rejects flag names inherited from Object.prototype as unknown", () => {
    for (const argv of [["--constructor", "x"], ["--toString=x"], ["--__proto__=x"], ["--hasOwnProperty", "y"]]) {
      const result = parseArgs(argv, spec);
      assert.equal(result.kind, "error", `${JSON.stringify(argv)} gave ${JSON.stringify(result)}`);
    }
  });

  it("rejects a string flag without a value", () => {
    for (const argv of [["--server"], ["alice", "--home"], ["--server="], ["--server", ""]]) {
      const result = parseArgs(argv, spec);
      assert.equal(result.kind, "error", JSON.stringify(argv));
      if (result.kind === "error") assert.match(result.message, /--(server|home) needs a value/);
    }
  });

  it("rejects a string flag whose next argument is another flag", () => {
    const result = parseArgs(["--home", "--json", "alice"], spec);
    assert.equal(result.kind, "error", JSON.stringify(result));
  });

  it("rejects a value given to a boolean flag", () => {
    for (const argv of [["--json=true"], ["--json=false"], ["--json="], ["--json=1", "alice"]]) {
      const result = parseArgs(argv, spec);
      assert.equal(result.kind, "error", JSON.stringify(argv));
      if (result.kind === "error") assert.match(result.message, /--json takes no value/);
    }
    // a following argument is a positional, not the flag's value
    assert.deepEqual(parseArgs(["--json", "false"], spec), {
      kind: "ok",
      flags: { json: true },
      positionals: ["false"],
    });
  });
});
