/**
 * @module Presence: what each teammate's device is viewing and whether it is replying, carried
 * by the inbox rooms' awareness (the relay admits awareness entries only for the sender's own
 * client). This device's state is set in every inbox room it has open.
 */
import { Listeners } from './listeners.ts'
import type { RoomReplica } from './room.ts'
import type { Member, Viewer } from './types.ts'

interface PresenceState {
  memberId: string
  name: string
  deviceId: string
  viewing: string | null
  replying: boolean
}

const isInbox = (room: RoomReplica) => room.name.startsWith('inbox:')

export class Presence {
  readonly listeners = new Listeners()
  private readonly deviceId: string
  private readonly member: () => Member | null
  private readonly rooms: () => Iterable<RoomReplica>
  private state: PresenceState | null = null

  constructor(deviceId: string, member: () => Member | null, rooms: () => Iterable<RoomReplica>) {
    this.deviceId = deviceId
    this.member = member
    this.rooms = rooms
  }

  /** A room was opened: an inbox room carries this device's presence and tells of teammates'. */
  attach(room: RoomReplica): void {
    if (!isInbox(room)) return
    if (this.state) room.awareness.setLocalState(this.state)
    room.awareness.on('change', () => this.listeners.emit())
  }

  update(patch: Partial<Pick<PresenceState, 'viewing' | 'replying'>>): void {
    const member = this.member()
    if (!member) return
    this.state = {
      memberId: member.id,
      name: member.name,
      deviceId: this.deviceId,
      viewing: this.state?.viewing ?? null,
      replying: this.state?.replying ?? false,
      ...patch,
    }
    for (const r of this.rooms()) if (isInbox(r)) r.awareness.setLocalState(this.state)
  }

  /** Teammates' devices viewing `conversationId`, one entry per device. */
  viewers(conversationId: string): Viewer[] {
    const seen = new Map<string, Viewer>()
    for (const r of this.rooms()) {
      if (!isInbox(r)) continue
      for (const [clientID, state] of r.awareness.getStates()) {
        const p = state as Partial<PresenceState>
        if (clientID === r.doc.clientID || p.deviceId === this.deviceId) continue
        if (p.viewing !== conversationId || !p.memberId || !p.deviceId) continue
        seen.set(p.deviceId, {
          memberId: p.memberId,
          name: p.name ?? p.memberId,
          deviceId: p.deviceId,
          replying: !!p.replying,
        })
      }
    }
    return [...seen.values()]
  }
}
