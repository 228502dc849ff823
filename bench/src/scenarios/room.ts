/**
 * A room of N members on a fresh server, with 4 senders on generator worker 0 and the other
 * members spread over the remaining workers. For secure-chat every member logs in for real
 * (which registers the name), then users[0] creates `+benchN` and adds everyone by MLS
 * commits with Welcomes, `batch` members per commit.
 */
import { cpus } from "node:os";
import { join } from "node:path";
import { Generator, type Totals } from "../load/generator.js";
import type { BenchUser } from "../load/secure-chat-client.js";
import type { ServerKind } from "../load/worker.js";
import { applicationMessage, benchUsers, planRoom, type RoomPlan } from "../mls-room.js";
import { CpuMeter, MachineCpuMeter, sleep } from "../procs.js";
import { startServer, type RunningServer, type ServerOptions } from "../servers.js";
import { monotonicUs } from "./result.js";

export const SENDERS = 4;
export const PAYLOAD_BYTES = 200;
const COMMIT_BATCH = 50; // the most members the server lets one commit add

const plans = new Map<number, Promise<RoomPlan>>();

/** MLS material per room size, made once and replayed on every fresh server. */
export function roomPlan(members: number): Promise<RoomPlan> {
  let plan = plans.get(members);
  if (plan === undefined) {
    plan = planRoom(`+bench${members}`, benchUsers(`m${members}x`, members), COMMIT_BATCH);
    plans.set(members, plan);
  }
  return plan;
}

export interface Room {
  server: RunningServer;
  generator: Generator;
  plan: RoomPlan | undefined;
  setupMs: number;
  close(): Promise<void>;
}

function roomName(kind: ServerKind): string | undefined {
  if (kind === "socketio") return "bench";
  if (kind === "ngircd") return "#bench";
  return undefined;
}

export async function openRoom(
  kind: ServerKind,
  members: number,
  options: { receiverWorkers: number; acks: boolean; server?: ServerOptions | undefined },
): Promise<Room> {
  const started = performance.now();
  const plan = kind === "secure-chat" ? await roomPlan(members) : undefined;
  const server = await startServer(kind, options.server);
  const profileDir = options.server?.cpuProfileDir;
  const generator = Generator.start(
    1 + options.receiverWorkers,
    profileDir === undefined ? undefined : join(profileDir, "generator"),
  );
  const close = async (): Promise<void> => {
    await generator.close();
    await server.stop();
    await server.remove();
  };
  try {
    const users: BenchUser[] = plan?.users ?? benchUsers("u", members).map((u, i) => ({ ...u, name: `u${i}` }));
    const room = roomName(kind);
    const url = { host: server.host, port: server.port };
    await generator.connect(kind, url, users.slice(0, SENDERS), { sender: true, room, workers: [0], concurrency: 4 });
    const receiverWorkers = Array.from({ length: options.receiverWorkers }, (_, i) => i + 1);
    await generator.connect(kind, url, users.slice(SENDERS), {
      sender: false,
      room,
      workers: receiverWorkers,
      concurrency: 20,
    });
    if (!options.acks) await generator.all({ cmd: "acks", enabled: false });
    if (plan !== undefined) {
      await createGroup(generator, plan.users[0]!.name, plan);
      await generator.call(0, {
        cmd: "message",
        groupId: plan.groupId,
        mls: applicationMessage(plan.groupId, plan.epoch, PAYLOAD_BYTES),
        size: PAYLOAD_BYTES,
      });
    } else {
      const payload = new Uint8Array(PAYLOAD_BYTES);
      await generator.call(0, { cmd: "message", groupId: room ?? "", mls: payload, size: PAYLOAD_BYTES });
    }
    await generator.settle();
    return { server, generator, plan, setupMs: performance.now() - started, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** As `user` (on generator worker 0): creates the plan's group and adds its members by its commits. */
export async function createGroup(generator: Generator, user: string, plan: RoomPlan): Promise<void> {
  const created = await generator.call<{ type: string }>(0, {
    cmd: "request",
    user,
    frame: { type: "create_group", rid: 0, groupId: plan.groupId, groupInfo: plan.groupInfo },
  });
  if (created.type !== "ok") throw new Error(`create_group: ${JSON.stringify(created)}`);
  for (const commit of plan.commits) {
    const accepted = await generator.call<{ type: string }>(0, {
      cmd: "request",
      user,
      frame: {
        type: "commit",
        rid: 0,
        groupId: plan.groupId,
        commit: commit.commit,
        groupInfo: commit.groupInfo,
        welcome: commit.welcome,
      },
    });
    if (accepted.type !== "accepted") throw new Error(`commit: ${JSON.stringify(accepted).slice(0, 300)}`);
  }
}

/** Load-window measurements shared by the scenarios: totals, and CPU of server, workers and machine. */
export interface Window {
  totals: Totals;
  serverCpu: number;
  workerCpu: number[];
  machineBusy: number;
  measureFromUs: number;
  measureToUs: number;
}

/** Resets the counters, measures for `measureMs`, and returns what the window saw. */
export async function measureWindow(room: Room, measureMs: number): Promise<Window> {
  await room.generator.all({ cmd: "reset" });
  const measureFromUs = monotonicUs();
  const cpu = new CpuMeter([room.server.pid, ...room.generator.pids]);
  const machineCpu = new MachineCpuMeter();
  await sleep(measureMs);
  const totals = await room.generator.collect();
  const measureToUs = monotonicUs();
  const [serverCpu = NaN, ...workerCpu] = cpu.percent();
  return { totals, serverCpu, workerCpu, machineBusy: machineCpu.percent(cpus().length), measureFromUs, measureToUs };
}
