export { ChatClient, type ChatClientOptions } from "./chat-client.js";
export type { ChatEvent, ChatEventListener, MemberInfo, MessageEvent } from "./events.js";
export { ClientError, type ClientErrorCode } from "./errors.js";
export { fingerprint, type Identity } from "./identity.js";
export type { ClientStore, HistoryEntry, StoredGroupState } from "./store/store.js";
export type { SocketFactory, WebSocketLike } from "./transport.js";
export { decodeState, decodeMessage, members } from "./mls/groups.js";
export { clientConfig } from "./mls/config.js";
export { loadCipherSuite } from "./mls/suite.js";
