/**
 * A server in process, for tests that run real clients against a server they control. It speaks
 * the protocol's frames over the client's socket seam (`SocketFactory`, `WebSocketLike`) and
 * keeps what the real one keeps, simply: names and keys, KeyPackages, groups (one commit per
 * epoch), and each user's delivery stream with a cursor. Every request gets a plausible answer
 * or an `error` frame, never silence, so nothing a client asks can leave it waiting.
 *
 * It checks no signatures and reads of MLS only the group id and epoch in a message's header: it
 * is the test's server, not the one under test. `intercept` and `rewrite` let a test answer a
 * request itself, `inject` pushes anything, `misaddressed` notes what a client should not send.
 */
import {
  decodeFrame,
  deliveryKinds,
  encodeFrame,
  roomKind,
  type ClientFrame,
  type DeliveryKind,
  type ErrorCode,
  type FrameOf,
  type GroupId,
  type RoomKind,
  type ServerFrame,
  type UserName,
} from "@secure-chat/protocol";
import { ratchetTreeFromExtension } from "ts-mls/groupInfo.js";
import { decodeMessage } from "../src/engine/mls/groups.js";
import type { SocketFactory, WebSocketLike } from "../src/link/rpc.js";

/** What a test sends in place of an answer: frames, or bytes that need not be a frame at all. */
export type Reply = (ServerFrame | Uint8Array)[];

export type Request = Extract<ClientFrame, { rid: number }>;

function refusal(request: Request, code: ErrorCode, message: string): ServerFrame {
  return { type: "error", rid: request.rid, code, message };
}

interface User {
  publicKey: Uint8Array;
  keyPackages: Uint8Array[];
  lastResort: Uint8Array | undefined;
  cursor: number;
}

interface Group {
  kind: RoomKind;
  /** The epoch the next commit must come from. */
  epoch: bigint;
  groupInfo: Uint8Array;
  members: Set<UserName>;
}

interface Stored {
  frame: FrameOf<"deliver">;
  recipients: ReadonlySet<UserName>;
}

/** The group id and epoch an MLS group message claims in its public header. */
function headerOf(bytes: Uint8Array): { groupId: string; epoch: bigint } | undefined {
  const message = decodeMessage(bytes);
  const header =
    message?.wireformat === "mls_public_message"
      ? message.publicMessage.content
      : message?.wireformat === "mls_private_message"
        ? message.privateMessage
        : undefined;
  return header === undefined ? undefined : { groupId: new TextDecoder().decode(header.groupId), epoch: header.epoch };
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The server's end of one client socket. Frames go out in order, each in its own microtask. */
class ServerSocket implements WebSocketLike {
  binaryType = "blob";
  /** The name a `hello` asked for, and once `login` is answered, the user logged in. */
  hello: UserName | undefined;
  user: UserName | undefined;
  private open = true;
  private readonly listeners = new Map<string, ((event: never) => void)[]>();

  constructor(private readonly server: FakeServer) {
    queueMicrotask(() => this.fire("open"));
  }

  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  private fire(type: string, event?: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) (listener as (event: unknown) => void)(event);
  }

  /** A frame from the client. */
  send(data: Uint8Array): void {
    if (this.open) this.server.receive(this, data);
  }

  /** The client closes. */
  close(code = 1005, reason = ""): void {
    this.end(code, reason);
  }

  /** To the client, as a browser hands it over with binaryType "arraybuffer". */
  push(bytes: Uint8Array): void {
    const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    queueMicrotask(() => {
      if (this.open) this.fire("message", { data });
    });
  }

  /** Either side ends the connection; the client hears of it after what was already sent. */
  end(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.server.forget(this);
    queueMicrotask(() => this.fire("close", { code, reason }));
  }
}

export class FakeServer {
  readonly cipherSuite: string;
  private readonly users = new Map<UserName, User>();
  private readonly groups = new Map<GroupId, Group>();
  private readonly log: Stored[] = [];
  /** The last seq handed out (a test may skip some: then no delivery has them). */
  private lastSeq = 0;
  private readonly sockets = new Set<ServerSocket>();
  /** First answers to sends, by sender and sendId: a resend gets the same answer. */
  private readonly sent = new Map<string, FrameOf<"accepted">>();
  /** Every GroupInfo and KeyPackage clients handed over, valid MLS to build hostile answers from. */
  readonly groupInfos: Uint8Array[] = [];
  readonly keyPackages: Uint8Array[] = [];
  /**
   * Commits and sends whose MLS group id is not the group they were sent to: a client must never
   * send one (the real server refuses them; this one notes them for the test and carries on).
   */
  readonly misaddressed: string[] = [];
  /** How many requests of each type clients made. */
  readonly asked = new Map<string, number>();
  /**
   * A test's own answers. `intercept` answers a request before the server does anything (it is not
   * carried out); `rewrite` sees what the server did answer, having carried it out, and may send
   * something else instead. Undefined leaves the server's answer.
   */
  intercept: ((user: UserName | undefined, request: Request) => Reply | undefined) | undefined;
  rewrite: ((user: UserName | undefined, request: Request, answer: ServerFrame[]) => Reply | undefined) | undefined;

  constructor(
    cipherSuite: string,
    private readonly clock: () => number,
  ) {
    this.cipherSuite = cipherSuite;
  }

  readonly socketFactory: SocketFactory = () => {
    const socket = new ServerSocket(this);
    this.sockets.add(socket);
    return socket;
  };

  /** The seq the next delivery gets. */
  get nextSeq(): number {
    return this.lastSeq + 1;
  }

  /** A seq no delivery will have: for a frame the test makes up. */
  skipSeq(): number {
    return ++this.lastSeq;
  }

  /** Every delivery stored so far, in order, with who received it. */
  deliveries(): readonly Stored[] {
    return this.log;
  }

  /** Pushes frames or bytes to every connection of `user`; resolves once the client has them. */
  async inject(user: UserName, reply: Reply): Promise<void> {
    for (const socket of this.socketsOf(user)) this.reply(socket, reply);
    await new Promise<void>((resolve) => queueMicrotask(resolve));
  }

  /** Ends every connection of `user`, as a network failure would. */
  disconnect(user: UserName): void {
    for (const socket of this.socketsOf(user)) socket.end(1006, "dropped by the test");
  }

  /** Stores a delivery and sends it to the recipients online (a Welcome has one recipient). */
  deliver(groupId: GroupId, sender: string, kind: DeliveryKind, payload: Uint8Array, to: Iterable<UserName>): number {
    const seq = ++this.lastSeq;
    const frame: FrameOf<"deliver"> = {
      type: "deliver",
      seq,
      serverTs: this.clock(),
      groupId,
      sender,
      kind: deliveryKinds[kind],
      payload,
    };
    const recipients = new Set(to);
    this.log.push({ frame, recipients });
    const bytes = encodeFrame(frame);
    for (const socket of this.sockets) {
      if (socket.user !== undefined && recipients.has(socket.user)) socket.push(bytes);
    }
    return seq;
  }

  /** The key `name` registered with. */
  publicKey(name: UserName): Uint8Array | undefined {
    return this.users.get(name)?.publicKey;
  }

  /** Takes one of `name`'s KeyPackages, as `claim_key_package` does (one-time ones first). */
  claim(name: UserName): Uint8Array | undefined {
    const user = this.users.get(name);
    return user?.keyPackages.shift() ?? user?.lastResort;
  }

  forget(socket: ServerSocket): void {
    this.sockets.delete(socket);
  }

  private socketsOf(user: UserName): ServerSocket[] {
    return [...this.sockets].filter((socket) => socket.user === user);
  }

  private reply(socket: ServerSocket, reply: Reply): void {
    for (const item of reply) socket.push(item instanceof Uint8Array ? item : encodeFrame(item));
  }

  receive(socket: ServerSocket, bytes: Uint8Array): void {
    const decoded = decodeFrame(bytes);
    if (decoded.kind === "error") {
      this.reply(socket, [{ type: "error", rid: 0, code: decoded.code, message: decoded.message }]);
      return;
    }
    const frame = decoded.frame as ClientFrame;
    this.asked.set(frame.type, (this.asked.get(frame.type) ?? 0) + 1);
    if (frame.type === "ack") {
      this.ack(socket, frame.seq);
      return;
    }
    const user = socket.user ?? socket.hello ?? (frame.type === "hello" ? (frame.name as UserName) : undefined);
    const substitute = this.intercept?.(user, frame);
    if (substitute !== undefined) return this.reply(socket, substitute);
    const answer = this.answer(socket, frame);
    this.reply(socket, this.rewrite?.(user, frame, answer) ?? answer);
  }

  private answer(socket: ServerSocket, request: Request): ServerFrame[] {
    if (request.type === "hello") return [this.hello(socket, request)];
    if (request.type === "login") return this.logIn(socket, request);
    const user = socket.user;
    if (user === undefined) return [refusal(request, "NOT_AUTHENTICATED", "log in first")];
    return [this.answerUser(user, request)];
  }

  private hello(socket: ServerSocket, request: FrameOf<"hello">): ServerFrame {
    const name = request.name as UserName;
    const known = this.users.get(name);
    if (known !== undefined && hex(known.publicKey) !== hex(request.publicKey)) {
      return refusal(request, "NAME_TAKEN", `${name} is bound to another key`);
    }
    if (known === undefined) {
      this.users.set(name, { publicKey: request.publicKey, keyPackages: [], lastResort: undefined, cursor: 0 });
    }
    socket.hello = name;
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    return { type: "challenge", rid: request.rid, nonce, cipherSuite: this.cipherSuite, serverTime: this.clock() };
  }

  /** The login's answer, everything stored for the user since their cursor, and `synced`. */
  private logIn(socket: ServerSocket, request: FrameOf<"login">): ServerFrame[] {
    const name = socket.hello;
    const user = name === undefined ? undefined : this.users.get(name);
    if (name === undefined || user === undefined) return [refusal(request, "UNEXPECTED_FRAME", "hello first")];
    socket.user = name;
    const backlog = this.log.filter((stored) => stored.frame.seq > user.cursor && stored.recipients.has(name));
    return [
      { type: "login_ok", rid: request.rid, keyPackageCount: user.keyPackages.length },
      ...backlog.map((stored) => stored.frame),
      { type: "synced", cursor: backlog.at(-1)?.frame.seq ?? user.cursor },
    ];
  }

  private ack(socket: ServerSocket, seq: number): void {
    const user = socket.user === undefined ? undefined : this.users.get(socket.user);
    if (user === undefined) return;
    if (seq > this.lastSeq) {
      this.reply(socket, [{ type: "error", rid: 0, code: "BAD_ARGUMENT", message: `ack of seq ${seq}` }]);
      return;
    }
    user.cursor = Math.max(user.cursor, seq);
  }

  /** The answer to a logged-in user's request. */
  private answerUser(name: UserName, request: Exclude<Request, FrameOf<"hello"> | FrameOf<"login">>): ServerFrame {
    const { rid } = request;
    switch (request.type) {
      case "upload_key_packages": {
        const user = this.users.get(name)!;
        user.keyPackages.push(...request.keyPackages);
        if (request.lastResort.length > 0) user.lastResort = request.lastResort;
        this.keyPackages.push(...request.keyPackages);
        return { type: "ok", rid };
      }
      case "claim_key_package": {
        if (!this.users.has(request.name as UserName)) {
          return refusal(request, "NO_SUCH_USER", `nobody is registered as ${request.name}`);
        }
        const keyPackage = this.claim(request.name as UserName);
        if (keyPackage === undefined) return refusal(request, "NO_KEY_PACKAGE", `${request.name} has none left`);
        return { type: "key_package", rid, name: request.name, keyPackage };
      }
      case "lookup_keys": {
        const found = request.names.filter((n) => this.users.has(n as UserName));
        const publicKeys = found.map((n) => this.users.get(n as UserName)!.publicKey);
        return { type: "keys", rid, names: found, publicKeys, retiredKeys: found.map(() => new Uint8Array()) };
      }
      case "create_group": {
        const groupId = request.groupId as GroupId;
        if (this.groups.has(groupId)) return refusal(request, "GROUP_EXISTS", `${groupId} exists`);
        const group = { kind: roomKind(groupId), epoch: 0n, groupInfo: request.groupInfo, members: new Set([name]) };
        this.groups.set(groupId, group);
        this.groupInfos.push(request.groupInfo);
        return { type: "ok", rid };
      }
      case "get_group_info": {
        const group = this.groups.get(request.groupId as GroupId);
        if (group === undefined) return refusal(request, "NO_SUCH_GROUP", `no group ${request.groupId}`);
        if (group.kind !== "open" && !group.members.has(name)) {
          return refusal(request, "INVITE_ONLY", `${request.groupId} is invite-only`);
        }
        return { type: "group_info", rid, groupId: request.groupId, groupInfo: group.groupInfo };
      }
      case "commit":
        return this.commit(name, request);
      case "send": {
        const groupId = request.groupId as GroupId;
        this.checkAddressed(name, groupId, request.message);
        const group = this.groups.get(groupId);
        if (group?.members.has(name) !== true) return refusal(request, "NOT_MEMBER", `you are not in ${groupId}`);
        const key = `${name} ${hex(request.sendId)}`;
        const first = this.sent.get(key);
        if (first !== undefined) return { ...first, rid };
        const others = [...group.members].filter((member) => member !== name);
        const seq = this.deliver(groupId, name, "message", request.message, others);
        const accepted: FrameOf<"accepted"> = { type: "accepted", rid, seq, serverTs: this.clock() };
        this.sent.set(key, accepted);
        return accepted;
      }
      case "list_rooms": {
        const open = [...this.groups].filter(([, group]) => group.kind === "open");
        const memberNames = open.map(([, group]) => [...group.members].join(","));
        return { type: "rooms", rid, groupIds: open.map(([id]) => id), memberNames, next: "" };
      }
      case "list_online": {
        const names = new Set([...this.sockets].flatMap((s) => (s.user === undefined ? [] : [s.user])));
        return { type: "online", rid, names: [...names] };
      }
      case "ping":
        return { type: "pong", rid };
      // Its users have one device each.
      case "list_devices":
        return { type: "devices", rid, name: request.name, listings: [] };
      case "add_device":
      case "revoke_device":
      case "link_open":
      case "link_join":
      case "link_relay":
        return refusal(request, "BAD_ARGUMENT", "this fake server keeps no linked devices");
      case "send_ephemeral":
        return { type: "ok", rid }; // passed on to nobody: this server's tests need no typing notices
      case "put_blob":
      case "get_blob":
        return { type: "error", rid, code: "NO_SUCH_BLOB", message: "this server keeps no files" };
    }
  }

  private checkAddressed(name: UserName, groupId: GroupId, message: Uint8Array): void {
    const inside = headerOf(message)?.groupId;
    if (inside !== groupId) this.misaddressed.push(`${name} sent MLS of ${String(inside)} to ${groupId}`);
  }

  /**
   * Takes a commit as the server does (one per epoch; the committer, members and Welcomes get it)
   * and says what it answers. Tests also use it to have a commit made outside any client accepted.
   */
  commit(name: UserName, request: FrameOf<"commit">): ServerFrame {
    const groupId = request.groupId as GroupId;
    this.checkAddressed(name, groupId, request.commit);
    const group = this.groups.get(groupId);
    if (group === undefined) return refusal(request, "NO_SUCH_GROUP", `no group ${groupId}`);
    const epoch = headerOf(request.commit)?.epoch;
    if (epoch === undefined) return refusal(request, "BAD_MLS", "not an MLS commit");
    if (epoch !== group.epoch) return refusal(request, "STALE_EPOCH", `${groupId} is at epoch ${group.epoch}`);
    const joining = !group.members.has(name);
    if (joining && group.kind !== "open") return refusal(request, "NOT_MEMBER", `you are not in ${groupId}`);
    // Who joins and leaves, as the real server reads it: from the trees of the two GroupInfos.
    const before = leavesOf(group.groupInfo);
    const after = leavesOf(request.groupInfo);
    const isNew = (leaf: Leaf) => !before.some((old) => old.name === leaf.name && old.key === leaf.key);
    const added = [...new Set(after.filter((leaf) => isNew(leaf) && leaf.name !== name).map((leaf) => leaf.name))];
    const removed = [...group.members].filter((member) => !after.some((leaf) => leaf.name === member));
    if (added.length > 0 && request.welcome.length === 0) {
      return refusal(request, "BAD_ARGUMENT", "an add needs a Welcome");
    }
    const seq = this.deliver(groupId, name, "commit", request.commit, [...group.members, name]);
    group.epoch++;
    if (request.groupInfo.length > 0) {
      group.groupInfo = request.groupInfo;
      this.groupInfos.push(request.groupInfo);
    }
    group.members.add(name);
    for (const member of removed) group.members.delete(member);
    for (const member of added) {
      group.members.add(member);
      this.deliver(groupId, name, "welcome", request.welcome, [member]);
    }
    return { type: "accepted", rid: request.rid, seq, serverTs: this.clock() };
  }
}

interface Leaf {
  name: UserName;
  key: string;
}

/** The leaves (name and signature key) of a GroupInfo's ratchet tree; none if it is not one. */
function leavesOf(groupInfo: Uint8Array): Leaf[] {
  const message = decodeMessage(groupInfo);
  if (message?.wireformat !== "mls_group_info") return [];
  return (ratchetTreeFromExtension(message.groupInfo) ?? []).flatMap((node) =>
    node?.nodeType === "leaf" && node.leaf.credential.credentialType === "basic"
      ? [
          {
            name: new TextDecoder().decode(node.leaf.credential.identity) as UserName,
            key: Buffer.from(node.leaf.signaturePublicKey).toString("hex"),
          },
        ]
      : [],
  );
}
