/**
 * @module @switchboard/client/node: the same replica for Node (CLI, bots, tests), with file
 * storage and the `ws` WebSocket. Kept apart so the browser bundle never imports node:fs.
 */
import WebSocket from 'ws'
import { createSwitchboard as create } from './switchboard.ts'
import { fileStorage } from './storage/file.ts'
import type { ClientStorage } from './storage/client-storage.ts'
import type { Switchboard, SwitchboardOptions } from './types.ts'

export { fileStorage, type FileStorageOptions } from './storage/file.ts'
export { newDeviceId } from './ids.ts'
export { tokenExpiry } from './session.ts'
export { memoryStorage, type ClientStorage } from './storage/client-storage.ts'
export { ErrorCode, SwitchboardError, closeReaction, type CloseReaction } from './errors.ts'
export { mentionedMembers } from './mentions.ts'
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
} from './types.ts'

export interface NodeSwitchboardOptions extends Omit<SwitchboardOptions, 'storage'> {
  /** `'file'` with `dir`, `'memory'`, or any `ClientStorage`. */
  storage: 'file' | 'memory' | ClientStorage
  /** Replica directory for `storage: 'file'`. */
  dir?: string
}

export function createSwitchboard(options: NodeSwitchboardOptions): Switchboard {
  let storage: SwitchboardOptions['storage']
  if (options.storage === 'file') {
    if (!options.dir) throw new Error("createSwitchboard: storage 'file' needs a dir")
    storage = fileStorage(options.dir)
  } else storage = options.storage
  return create({ WebSocket, ...options, storage })
}
