/// <reference types="node" />
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  directGroupId,
  directPeer,
  nameSkeleton,
  parseGroupId,
  parseRoomName,
  parseUserName,
  roomKind,
  roomSkeleton,
  type GroupId,
  type UserName,
} from "../src/index.js";

function user(value: string): UserName {
  const name = parseUserName(value);
  assert.ok(name !== undefined, `${value} should be a valid user name`);
  return name;
}

function group(value: string): GroupId {
  const groupId = parseGroupId(value);
  assert.ok(groupId !== undefined, `${value} should be a valid group id`);
  return groupId;
}

const validName = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/);
const distinctNames = fc.uniqueArray(validName, { minLength: 3, maxLength: 3 }) as fc.Arbitrary<
  [string, string, string]
>;

describe("parseUserName", () => {
  it("accepts lower-case names of 1 to 32 characters starting with a letter or digit", () => {
    for (const value of ["a", "0", "alice", "bob-2", "c_d", "x".repeat(32), "9lives", "a-", "a_"]) {
      assert.equal(parseUserName(value), value, value);
    }
  });

  it("rejects everything else", () => {
    const bad = [
      "",
      "x".repeat(33),
      "Alice",
      "ALICE",
      "-alice",
      "_alice",
      "al ice",
      " alice",
      "alice ",
      "alice\n",
      "\nalice",
      "al.ice",
      "al@ice",
      "@alice",
      "#alice",
      "al,ice",
      "élise",
      "ａlice", // full-width a
      "alice\u0000",
    ];
    for (const value of bad) assert.equal(parseUserName(value), undefined, JSON.stringify(value));
  });

  it("leaves no case, zero-width, bidi or non-ASCII look-alikes for nameSkeleton to catch", () => {
    const lookAlikes = [
      "Alice", // case
      "aliCe",
      "al\u200Bice", // zero-width space
      "al\u200Cice", // zero-width non-joiner
      "al\u200Dice", // zero-width joiner
      "alice\u2060", // word joiner
      "\uFEFFalice", // zero-width no-break space
      "al\u00ADice", // soft hyphen
      "al\u202Eice", // right-to-left override
      "al\u2067ice", // right-to-left isolate
      "alice\u200F", // right-to-left mark
      "\u0430lice", // Cyrillic а
      "alic\u0435", // Cyrillic е
      "b\u03BFb", // Greek omicron
      "ａｌｉｃｅ", // full-width
      "alice\u0301", // combining acute accent
      "ali\u0441e", // Cyrillic с
    ];
    for (const value of lookAlikes) assert.equal(parseUserName(value), undefined, JSON.stringify(value));
  });

  it("accepts any generated valid name and rejects it once an upper-case letter or space is spliced in", () => {
    fc.assert(
      fc.property(validName, fc.nat(), fc.constantFrom("A", "Z", " ", ".", "@", "é"), (name, at, bad) => {
        assert.equal(parseUserName(name), name);
        const position = at % (name.length + 1);
        const spliced = name.slice(0, position) + bad + name.slice(position);
        assert.equal(parseUserName(spliced), undefined, spliced);
      }),
      { numRuns: 500 },
    );
  });
});

describe("nameSkeleton", () => {
  const skeleton = (value: string): string => nameSkeleton(user(value));

  it("is shared by names that display alike", () => {
    const alike = [
      ["bob", "b0b"],
      ["alice", "a1ice", "aiice", "al1ce", "alice"],
      ["bill", "b1ll", "bi1l", "b11l", "biii"],
      ["mallory", "rnallory", "ma11ory", "rnaii0ry"],
      ["wendy", "vvendy", "wencly", "vvencly"],
      ["dave", "clave", "c1ave", "ciave"],
      ["web-dev", "web_dev", "vveb-clev", "web_c1ev"],
      ["a_b", "a-b"],
      ["vvv", "wv", "vw"],
      ["mm", "rnm", "mrn", "rnrn"],
      ["o0", "0o", "00", "oo"],
    ];
    for (const group of alike) {
      const [first, ...rest] = group as [string, ...string[]];
      for (const other of rest) assert.equal(skeleton(other), skeleton(first), `${other} ~ ${first}`);
    }
  });

  it("tells apart names that do not", () => {
    const apart = [
      ["bob", "rob"],
      ["bob", "bobb"],
      ["bob", "bo"],
      ["alice", "alicia"],
      ["alice", "alica"],
      ["carol", "carl"],
      ["dave", "cave"],
      ["m", "n"],
      ["rn", "r"],
      ["w", "v"],
      ["d", "c"],
      ["a-b", "ab"],
      ["o", "a"],
      ["bob1", "bob2"],
    ];
    for (const [a, b] of apart as [string, string][]) assert.notEqual(skeleton(a), skeleton(b), `${a} !~ ${b}`);
  });

  it("maps exactly the documented look-alikes and leaves every other character as it is", () => {
    const mapped: Record<string, string> = { "0": "o", "1": "l", i: "l", m: "rn", w: "vv", d: "cl", _: "-" };
    for (const char of "abcdefghijklmnopqrstuvwxyz0123456789_-") {
      assert.equal(nameSkeleton(`a${char}` as UserName), `a${mapped[char] ?? char}`, char);
    }
  });

  it("for any name, swapping in look-alikes keeps its skeleton, and a skeleton is its own skeleton", () => {
    const swaps: [string, string][] = [
      ["o", "0"],
      ["l", "1"],
      ["l", "i"],
      ["rn", "m"],
      ["vv", "w"],
      ["cl", "d"],
      ["-", "_"],
    ];
    fc.assert(
      fc.property(validName, fc.array(fc.tuple(fc.nat(), fc.boolean())), (name, choices) => {
        let lookalike = name;
        for (const [at, backwards] of choices) {
          const [from, to] = swaps[at % swaps.length] as [string, string];
          const [find, put] = backwards ? [to, from] : [from, to];
          const index = lookalike.indexOf(find, at % (lookalike.length + 1));
          if (index < 0) continue;
          const swapped = lookalike.slice(0, index) + put + lookalike.slice(index + find.length);
          // Keep to valid names (a swap may not start a name with '-' or make it too long).
          if (parseUserName(swapped) !== undefined) lookalike = swapped;
        }
        assert.equal(skeleton(lookalike), skeleton(name), `${lookalike} ~ ${name}`);
        const own = skeleton(name);
        if (parseUserName(own) !== undefined) assert.equal(skeleton(own), own);
      }),
      { numRuns: 500 },
    );
  });
});

describe("parseRoomName", () => {
  it("accepts #open and +invite-only rooms of up to 48 characters after the prefix", () => {
    for (const value of ["#a", "+a", "#lobby", "+team-1", "#a_b", "#0", "#" + "r".repeat(48), "+" + "r".repeat(48)]) {
      assert.equal(parseRoomName(value), value, value);
    }
  });

  it("rejects other prefixes, bad characters and over-long names", () => {
    const bad = [
      "",
      "#",
      "+",
      "lobby",
      "@lobby",
      "##lobby",
      "#+lobby",
      "#-lobby",
      "#_lobby",
      "#Lobby",
      "#lob by",
      "#lobby\n",
      "#" + "r".repeat(49),
      "@alice@bob",
    ];
    for (const value of bad) assert.equal(parseRoomName(value), undefined, JSON.stringify(value));
  });
});

describe("roomSkeleton", () => {
  const skeleton = (id: string) => roomSkeleton(id as GroupId);
  it("is shared by rooms whose names display alike, whatever their kind", () => {
    const pairs: [string, string][] = [
      ["#team", "+team"],
      ["+team", "+tearn"],
      ["#lobby", "#l0bby"],
      ["#ops_room", "#ops-room"],
    ];
    for (const [a, b] of pairs) assert.equal(skeleton(a), skeleton(b), `${a} ~ ${b}`);
  });
  it("tells apart rooms that do not, and has none for a private conversation", () => {
    assert.notEqual(skeleton("#team"), skeleton("#teams"));
    assert.equal(skeleton("@alice@bob"), undefined);
  });
});

describe("parseGroupId", () => {
  it("accepts room names and canonical private conversation ids", () => {
    for (const value of ["#lobby", "+team", "@alice@bob", "@a@b", "@0@a", "@bob-1@bob-2"]) {
      assert.equal(parseGroupId(value), value, value);
    }
  });

  it("rejects non-canonical, malformed or self conversations", () => {
    const bad = [
      "",
      "@",
      "@@",
      "@alice",
      "@alice@",
      "@@bob",
      "alice@bob",
      "@bob@alice", // wrong order
      "@alice@alice", // with oneself
      "@alice@bob@carol",
      "@Alice@bob",
      "@alice@Bob",
      "@alice@bob ",
      "#",
      "lobby",
      "@" + "a".repeat(33) + "@b",
    ];
    for (const value of bad) assert.equal(parseGroupId(value), undefined, JSON.stringify(value));
  });
});

describe("directGroupId", () => {
  it("orders the two names, so either participant derives the same id", () => {
    assert.equal(directGroupId(user("bob"), user("alice")), "@alice@bob");
    assert.equal(directGroupId(user("alice"), user("bob")), "@alice@bob");
  });

  it("is order independent and yields a valid direct group id for any two distinct names", () => {
    fc.assert(
      fc.property(distinctNames, ([a, b]) => {
        const ab = directGroupId(user(a), user(b));
        assert.equal(ab, directGroupId(user(b), user(a)));
        assert.equal(parseGroupId(ab), ab, "parseGroupId accepts it");
        assert.equal(roomKind(ab), "direct");
        const [first, second] = a < b ? [a, b] : [b, a];
        assert.equal(ab, `@${first}@${second}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe("roomKind", () => {
  it("classifies #open, +invite and @direct ids", () => {
    assert.equal(roomKind(group("#lobby")), "open");
    assert.equal(roomKind(group("+team")), "invite");
    assert.equal(roomKind(group("@alice@bob")), "direct");
  });
});

describe("directPeer", () => {
  it("names the other participant of a private conversation", () => {
    const id = group("@alice@bob");
    assert.equal(directPeer(id, user("alice")), "bob");
    assert.equal(directPeer(id, user("bob")), "alice");
  });

  it("is undefined for outsiders and for rooms", () => {
    assert.equal(directPeer(group("@alice@bob"), user("carol")), undefined);
    assert.equal(directPeer(group("@alice@bob"), user("alic")), undefined);
    assert.equal(directPeer(group("#alice"), user("alice")), undefined);
    assert.equal(directPeer(group("+bob"), user("bob")), undefined);
  });

  it("for any two distinct names, each is the other's peer and a third name has none", () => {
    fc.assert(
      fc.property(distinctNames, ([a, b, c]) => {
        const id = directGroupId(user(a), user(b));
        assert.equal(directPeer(id, user(a)), b);
        assert.equal(directPeer(id, user(b)), a);
        assert.equal(directPeer(id, user(c)), undefined);
      }),
      { numRuns: 500 },
    );
  });
});
