/**
 * @module What the user is told when the relay refused changes or access went away [R1]–[R4]:
 * the notice and its sentence, from a recovery's report or a revoked room's lost changes, and
 * the session's list of them.
 */
import { parseRoom, readWorkspace } from '@switchboard/core'
import type * as Y from 'yjs'
import { Listeners } from './listeners.ts'
import { summarize, type RecoveryReport } from './recovery.ts'
import type { SyncNotice } from './types.ts'

const changes = (n: number) => `${n} change${n === 1 ? '' : 's'}`

/** "2 changes (mark done on c1, pin on c3)", at most five named. */
function listed(dropped: SyncNotice['dropped']): string {
  const all = summarize(dropped)
  const shown = all.slice(0, 5)
  if (all.length > 5) shown.push(`${all.length - 5} more`)
  return `${changes(all.length)} (${shown.join(', ')})`
}

/** A refused change was dropped and the room reloaded; `label` names the room for the user. */
export function refusedNotice(r: RecoveryReport, label: string): SyncNotice {
  const why = `${r.code}${r.reason ? ' ' + r.reason : ''}`
  let message = `The relay refused a change in ${label} (${why}).`
  if (r.dropped.length) message += ` Removed from this device: ${listed(r.dropped)}.`
  if (r.kept) message += ` ${changes(r.kept)} made here were sent again.`
  message += ' The room was reloaded from the relay.'
  return {
    kind: 'refused',
    room: r.room,
    code: r.code,
    reason: r.reason,
    dropped: r.dropped,
    kept: r.kept,
    message,
    at: Date.now(),
  }
}

/** Access to a room is gone: its data left the device, with what the relay never stored. */
export function revokedNotice(n: {
  room: string
  label: string
  code: number
  reason: string
  dropped: SyncNotice['dropped']
}): SyncNotice {
  let message = `You no longer have access to ${n.label}: its data was removed from this device.`
  if (n.dropped.length) message += ` Never stored by the relay and lost: ${listed(n.dropped)}.`
  const { room, code, reason, dropped } = n
  return { kind: 'revoked', room, code, reason, dropped, kept: 0, message, at: Date.now() }
}

/** The notices of this session, oldest first, and the listeners that hear each new one. */
export class Notices {
  readonly list: SyncNotice[] = []
  readonly listeners = new Listeners<[SyncNotice]>()

  tell(notice: SyncNotice): void {
    this.list.push(notice)
    this.listeners.emit(notice)
  }
}

/** A room in the user's words: the phone number's name for an inbox. */
export function roomLabel(name: string, workspace: Y.Doc): string {
  const parsed = parseRoom(name)
  if (parsed?.kind === 'inbox') {
    const pn = readWorkspace(workspace).phoneNumbers.find((p) => p.id === parsed.id)
    return pn ? `the inbox of ${pn.name} (${pn.number})` : `the inbox ${parsed.id}`
  }
  if (parsed?.kind === 'conversation') return `conversation ${parsed.id}`
  return name
}
