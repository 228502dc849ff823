import type { CiphersuiteImpl } from "ts-mls";
import type { Identity } from "../identity.js";
import type { StoredKeyPackage } from "../store/store.js";
import { newKeyPackage } from "./mls/groups.js";

/** How many one-time KeyPackages we keep on the server, and when we top up. */
export const KEY_PACKAGE_TARGET = 20;
export const KEY_PACKAGE_LOW_WATER = 10;

export interface KeyPackagePlan {
  /** One-time packages to make and upload. */
  fresh: number;
  /** Whether a last-resort package is missing (the server keeps one per client). */
  lastResort: boolean;
}

/** What to upload, given how many one-time packages the server still has and what we hold. */
export function planKeyPackages(onServer: number, held: readonly StoredKeyPackage[]): KeyPackagePlan | undefined {
  if (onServer >= KEY_PACKAGE_LOW_WATER) return undefined;
  return { fresh: KEY_PACKAGE_TARGET - onServer, lastResort: !held.some((kp) => kp.lastResort) };
}

/** The packages a plan asks for: private halves to store, public halves to upload. */
export async function makeKeyPackages(
  plan: KeyPackagePlan,
  identity: Identity,
  impl: CiphersuiteImpl,
  nowMs: number,
): Promise<{ fresh: StoredKeyPackage[]; lastResort: StoredKeyPackage | undefined }> {
  const fresh: StoredKeyPackage[] = [];
  for (let i = 0; i < plan.fresh; i++) fresh.push((await newKeyPackage(identity, impl, false, nowMs)).stored);
  const lastResort = plan.lastResort ? (await newKeyPackage(identity, impl, true, nowMs)).stored : undefined;
  return { fresh, lastResort };
}
