import { getCiphersuiteFromName, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from "ts-mls";
import { isCipherSuiteName } from "@secure-chat/protocol";
import { ClientError } from "../../errors.js";

const loaded = new Map<string, Promise<CiphersuiteImpl>>();

/** The suite is the server's setting; clients accept only the suites this build knows. */
export function loadCipherSuite(name: string): Promise<CiphersuiteImpl> {
  if (!isCipherSuiteName(name)) {
    return Promise.reject(new ClientError("BAD_ARGUMENT", `the server asks for unsupported cipher suite ${name}`));
  }
  let impl = loaded.get(name);
  if (impl === undefined) {
    impl = getCiphersuiteImpl(getCiphersuiteFromName(name as CiphersuiteName));
    loaded.set(name, impl);
  }
  return impl;
}
