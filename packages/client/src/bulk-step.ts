/**
 * @module A bulk action or an undo across the member's numbers: each inbox writes its part (one
 * transaction per chunk), and the whole is one step on the replica's one undo stack.
 */
import { byPhoneNumber, type BulkChange, type BulkResult, type ConversationRef } from './bulk.ts'
import type { InboxRegistry } from './inbox-registry.ts'
import type { UndoChange, UndoStack, UndoStep } from './undo.ts'

/**
 * Applies `change` to every target, one undo step for all. An assignment some number's inbox
 * would refuse [G1][G3] rejects before anything is written, in any inbox.
 */
export async function applyBulk(
  inboxes: InboxRegistry,
  undo: UndoStack,
  targets: readonly ConversationRef[],
  change: BulkChange,
): Promise<BulkResult> {
  const groups = [...byPhoneNumber(targets)].map(([phoneNumberId, refs]) => ({
    inbox: inboxes.get(phoneNumberId),
    ids: refs.map((r) => r.conversationId),
  }))
  for (const { inbox } of groups) inbox.refuseBulk(change)
  const changes: UndoChange[] = []
  let count = 0
  for (const { inbox, ids } of groups) {
    const part = await inbox.writeMany(ids, change)
    count += part.count
    changes.push(...part.changes)
  }
  undo.push({ changes })
  return { count, changed: changes.length }
}

/** Takes a step back in each inbox it touched; false when none of its conversations is left. */
export async function undoStep(inboxes: InboxRegistry, step: UndoStep): Promise<boolean> {
  let restored = 0
  for (const [phoneNumberId, changes] of byPhoneNumber(step.changes)) {
    const inbox = inboxes.find(phoneNumberId)
    if (inbox) restored += await inbox.restoreMany(changes)
  }
  return restored > 0
}
