/** Test support other packages reuse: the store contract suite, and reachable byte arrays. */
export { storeContract, type StoreUnderTest } from "./store-contract.js";
export { byteArrays } from "./byte-arrays.js";
