/** MLS cipher suites the server can be configured with (a server setting; clients follow it). */
export const cipherSuites = {
  x25519: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  xwing: "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
} as const;
export type CipherSuiteKey = keyof typeof cipherSuites;
export type CipherSuiteName = (typeof cipherSuites)[CipherSuiteKey];

export function isCipherSuiteKey(value: string): value is CipherSuiteKey {
  return Object.hasOwn(cipherSuites, value);
}

export function isCipherSuiteName(value: string): value is CipherSuiteName {
  return Object.values(cipherSuites).includes(value as CipherSuiteName);
}
