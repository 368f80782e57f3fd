/** @module @switchboard/client: a local-first replica of a Switchboard workspace (browser-safe). */
export { createSwitchboard } from './switchboard.ts'
export { newDeviceId } from './ids.ts'
export { tokenExpiry } from './session.ts'
export { claimDeviceId, type ClaimOptions, type DeviceClaim } from './device-id.ts'
export { memoryStorage, type ClientStorage } from './storage/client-storage.ts'
export { indexeddbStorage, type IndexeddbStorageOptions } from './storage/indexeddb.ts'
export { ErrorCode, SwitchboardError, closeReaction, type CloseReaction } from './errors.ts'
export { mentionedMembers } from './mentions.ts'
export { BULK_CHUNK, changesNothing } from './bulk.ts'
export type { BulkChange, BulkResult, ConversationRef } from './bulk.ts'
export type {
  ConnectionStatus,
  Contacts,
  ConversationHandle,
  DroppedChange,
  Inbox,
  MarkOptions,
  Member,
  PhoneNumber,
  PhoneNumberWithUnread,
  Switchboard,
  SwitchboardOptions,
  SyncNotice,
  Viewer,
  NotesEditor,
} from './types.ts'
export { createWakeTimer, type WakeTimer, type WakeTimerOptions } from './wake-timer.ts'
export {
  readStoredConversation,
  storedConversationIds,
  type StoredConversation,
  type StoredConversationsOptions,
} from './storage/stored-conversations.ts'
