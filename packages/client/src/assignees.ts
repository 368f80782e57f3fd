/**
 * @module Who this replica may assign a conversation to, read from its workspace document with
 * core's rule [G1]: the picker's list, the local refusal of an assign, the rebase's check [G3]
 * and "needs a new owner" [G4]. The directory is read once per change of the workspace.
 */
import {
  assignRefusal,
  assignableMembers,
  needsNewOwner,
  readWorkspace,
  workspaceDirectory,
  type AssigneeDirectory,
  type Workspace,
} from '@switchboard/core'
import type * as Y from 'yjs'
import type { Member } from './types.ts'

export class Assignees {
  readonly #workspaceDoc: () => Y.Doc
  #cached: { doc: Y.Doc; workspace: Workspace; directory: AssigneeDirectory } | null = null
  readonly #watched = new WeakSet<Y.Doc>()

  constructor(workspaceDoc: () => Y.Doc) {
    this.#workspaceDoc = workspaceDoc
  }

  /** The workspace as last read; null while it lists no member (never synced: the relay judges). */
  #read() {
    const doc = this.#workspaceDoc()
    if (this.#cached?.doc !== doc) {
      if (!this.#watched.has(doc)) {
        this.#watched.add(doc)
        doc.on('update', () => {
          if (this.#cached?.doc === doc) this.#cached = null
        })
      }
      const workspace = readWorkspace(doc)
      this.#cached = { doc, workspace, directory: workspaceDirectory(workspace) }
    }
    return this.#cached.workspace.members.length > 0 ? this.#cached : null
  }

  /** Why `memberId` cannot be assigned a conversation of the number, or null when they can [G1]. */
  refusal(phoneNumberId: string, memberId: string): string | null {
    const known = this.#read()
    return known ? assignRefusal(known.directory, memberId, phoneNumberId) : null
  }

  /** The members a conversation of the number may be assigned to [G1]. */
  assignable(phoneNumberId: string): Member[] {
    const known = this.#read()
    return known ? (assignableMembers(known.workspace, phoneNumberId) as Member[]) : []
  }

  /** True when the conversation's assignee can no longer answer it [G4]. */
  needsNewOwner(phoneNumberId: string, assignee: string | null): boolean {
    const known = this.#read()
    return known ? needsNewOwner(known.directory, phoneNumberId, assignee) : false
  }
}
