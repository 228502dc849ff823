import { MemoryClientStore } from "../src/store/memory-store.js";
import { storeContract } from "./store-contract.js";

storeContract("in memory", async () => ({ store: new MemoryClientStore(), cleanup: async () => undefined }));
