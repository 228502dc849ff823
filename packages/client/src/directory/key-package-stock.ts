import type { CiphersuiteImpl } from "ts-mls";
import { makeKeyPackages, planKeyPackages } from "../engine/key-packages.js";
import type { Identity } from "../identity.js";
import type { RpcConnection } from "../link/rpc.js";
import type { ClientStore } from "../store/store.js";

const EMPTY = new Uint8Array(0);

/** Our KeyPackages on the server: topped up at each login and after a Welcome spends one. */
export class KeyPackageStock {
  constructor(
    private readonly identity: Identity,
    private readonly impl: () => CiphersuiteImpl,
    private readonly store: ClientStore,
    private readonly connection: () => RpcConnection,
    private readonly now: () => number,
  ) {}

  /** Uploads fresh packages if the server has few left (`onServer`; our own count when unknown). */
  async topUp(onServer?: number): Promise<void> {
    const held = await this.store.keyPackages();
    const plan = planKeyPackages(onServer ?? held.filter((kp) => !kp.lastResort).length, held);
    if (plan === undefined) return;
    const { fresh, lastResort } = await makeKeyPackages(plan, this.identity, this.impl(), this.now());
    // Private halves are stored before the public halves leave the machine.
    await this.store.addKeyPackages(lastResort === undefined ? fresh : [...fresh, lastResort]);
    await this.connection().request(
      {
        type: "upload_key_packages",
        rid: 0,
        keyPackages: fresh.map((kp) => kp.publicPackage),
        lastResort: lastResort?.publicPackage ?? EMPTY,
      },
      "ok",
    );
  }
}
