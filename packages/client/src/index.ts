export { ChatClient, type ChatClientOptions, type DeviceInfo, type RoomListing } from "./chat-client.js";
export { linkNewDevice, type NewDeviceOptions, type PendingApproval } from "./devices/linking.js";
export {
  linkStates,
  type ChatEvent,
  type ChatEventListener,
  type LinkState,
  type MemberInfo,
  type MessageEvent,
  type ReactionCount,
} from "./events.js";
export { reactionCountsWith, shortId } from "./engine/message-effects.js";
export { decodeMimi, encodeMimi, type MimiContent, type NestedPart } from "./content/mimi.js";
export { ClientError, errorCode, errorMessage, isClientErrorCode, type ClientErrorCode } from "./errors.js";
export { fingerprint, type Identity } from "./identity.js";
export type {
  ClientStore,
  HistoryEntry,
  OutboxEntry,
  StoredReaction,
  StoreBatch,
  StoredGroupState,
  StoredIdentity,
  StoredKeyPackage,
} from "./store/store.js";
export { MemoryClientStore } from "./store/memory-store.js";
export { historyExtraOf, type HistoryExtra } from "./store/history-extra.js";
export type { SocketFactory, WebSocketLike } from "./link/rpc.js";
export { decodeState, decodeMessage, members } from "./engine/mls/groups.js";
export { clientConfig } from "./engine/mls/config.js";
export { loadCipherSuite } from "./engine/mls/suite.js";
export {
  DEFAULT_HISTORY,
  MAX_HISTORY,
  helpText,
  parseCommand,
  parseJsonModeLine,
  type Command,
} from "./session/commands.js";
export { ChatSession, type FilePort, type SessionClient, type SessionOutcome } from "./session/chat-session.js";
export {
  UiEvents,
  presenceKnownWhen,
  uiMessage,
  type UiErrorCode,
  type UiEvent,
  type UiMessage,
  type UiSink,
  seenByText,
} from "./session/ui-events.js";
export { deviceChange, deviceRefusal, invitation } from "./session/wording.js";
export { ROOM_SEEN_INTERVAL_MS, TYPING_INTERVAL_MS, TYPING_SHOWN_MS } from "./sync/ephemeral-notices.js";
