import { type AuthenticationService, type KeyPackage, type LeafNode, type ClientConfig, type Credential } from "ts-mls";

/**
 * Retention limits (documented in SECURITY.md): keys of skipped messages are kept for at
 * most 32 generations and 3 past epochs, and a sender may skip ahead at most 1,000 messages.
 * Lifetimes of KeyPackages and leaves are checked on receipt.
 */
export function clientConfig(authService: AuthenticationService): ClientConfig {
  return {
    keyRetentionConfig: { retainKeysForGenerations: 32, retainKeysForEpochs: 3, maximumForwardRatchetSteps: 1_000 },
    lifetimeConfig: { maximumTotalLifetime: 90n * 24n * 3600n, validateLifetimeOnReceive: true },
    // One device per name: two KeyPackages or leaves with the same name are the same client.
    // This lets a new device's external join (resync) replace the lost device's leaf.
    keyPackageEqualityConfig: {
      compareKeyPackages: (a: KeyPackage, b: KeyPackage) => sameName(a.leafNode.credential, b.leafNode.credential),
      compareKeyPackageToLeafNode: (a: KeyPackage, b: LeafNode) => sameName(a.leafNode.credential, b.credential),
    },
    // Our own bucket padding (content.ts) already hides lengths; MLS padding stays minimal.
    paddingConfig: { kind: "padUntilLength", padUntilLength: 0 },
    authService,
  };
}

function sameName(a: Credential, b: Credential): boolean {
  const name = credentialName(a);
  return name !== undefined && name === credentialName(b);
}

export function credentialName(credential: Credential): string | undefined {
  if (credential.credentialType !== "basic") return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(credential.identity);
  } catch {
    return undefined;
  }
}
