import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryBus } from "../src/bus/memory-bus.js";
import { defaultServerConfig } from "../src/config.js";
import { createContext } from "../src/context.js";
import { checkHealth, HEALTH_TIMEOUT_MS } from "../src/health.js";
import type { Storage } from "../src/storage/storage.js";
import { silentLog, suiteSqlite } from "./fakes.js";

describe("checkHealth", () => {
  const sqlite = suiteSqlite("secure-chat-health-");

  function contextWith(storage: Storage, bus = new MemoryBus()) {
    return createContext(defaultServerConfig, storage, bus, silentLog, 3_600_000);
  }

  it("is ready while storage and bus answer, and not while draining", async () => {
    const ctx = contextWith(sqlite);
    assert.deepEqual(await checkHealth(ctx), { ready: true });
    ctx.draining = true;
    assert.deepEqual(await checkHealth(ctx), { ready: false, reason: "draining: the server is shutting down" });
    ctx.metrics.close();
  });

  it("names each part that fails, with its reason", async () => {
    const failing: Storage = Object.create(sqlite, {
      ping: { value: () => Promise.reject(new Error("connection refused")) },
    });
    const bus = new MemoryBus();
    bus.close();
    const ctx = contextWith(failing, bus);
    assert.deepEqual(await checkHealth(ctx), {
      ready: false,
      reason: "storage: connection refused; bus: the bus is closed",
    });
    ctx.metrics.close();
  });

  it("counts a storage that does not answer in time as a failure", async () => {
    const hanging: Storage = Object.create(sqlite, { ping: { value: () => new Promise(() => undefined) } });
    const ctx = contextWith(hanging);
    assert.deepEqual(await checkHealth(ctx), {
      ready: false,
      reason: `storage: no answer within ${HEALTH_TIMEOUT_MS} ms`,
    });
    ctx.metrics.close();
  });
});
