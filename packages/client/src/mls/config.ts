import {
  defaultKeyPackageEqualityConfig,
  type AuthenticationService,
  type ClientConfig,
  type Credential,
} from "ts-mls";

/**
 * Retention limits (documented in SECURITY.md): keys of skipped messages are kept for at
 * most 32 generations and 3 past epochs, and a sender may skip ahead at most 1,000 messages.
 * Lifetimes of KeyPackages and leaves are checked on receipt.
 */
export function clientConfig(authService: AuthenticationService): ClientConfig {
  return {
    keyRetentionConfig: { retainKeysForGenerations: 32, retainKeysForEpochs: 3, maximumForwardRatchetSteps: 1_000 },
    lifetimeConfig: { maximumTotalLifetime: 90n * 24n * 3600n, validateLifetimeOnReceive: true },
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    // Our own bucket padding (content.ts) already hides lengths; MLS padding stays minimal.
    paddingConfig: { kind: "padUntilLength", padUntilLength: 0 },
    authService,
  };
}

export function credentialName(credential: Credential): string | undefined {
  if (credential.credentialType !== "basic") return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(credential.identity);
  } catch {
    return undefined;
  }
}
