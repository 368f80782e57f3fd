/**
 * @module What a replica does when the relay closes a room's socket, by close code
 * (docs/protocol.md): adopt a new epoch, retry with backoff, recover from a refused change,
 * drop a revoked room, sign out, reconnect with a fresh token, or stop and say why.
 * `errors.ts` maps a code to its reaction; this module carries the reaction out.
 */
import { CloseCode } from '@switchboard/protocol'
import { closeReaction, ErrorCode, SwitchboardError } from './errors.ts'
import type { RoomRegistry } from './room-registry.ts'
import type { Session } from './session.ts'
import type { SyncStatus } from './status.ts'

export interface CloseContext {
  deviceId: string
  rooms: RoomRegistry
  session: Session
  status: SyncStatus
  /** Access to a room is gone (4403): its local data leaves the device [R4]. */
  drop(name: string, code: number, reason: string): Promise<void>
}

/** Reacts to room `name`'s socket closing; true lets y-websocket reconnect with backoff. */
export function reactToClose(c: CloseContext, name: string, event: CloseEvent): boolean {
  const { rooms, session, status } = c
  if (event.code === CloseCode.EpochChanged) {
    // The room started a new epoch: adopt it (fresh doc, replay our entries) [E3].
    void rooms.get(name)?.rebuild('epoch')
    return false
  }
  const reaction = closeReaction(event.code)
  if (reaction.action === 'retry') {
    if (reaction.tell)
      status.fail(
        new SwitchboardError(reaction.tell, `relay cannot open ${name} right now; retrying`, {
          room: name,
        }),
      )
    return true
  }
  if (reaction.action === 'recover') {
    // Drop the refused change, resync, tell the user [R1]; stop only when the refusal
    // cannot be about this device's changes (none pending).
    if (rooms.get(name)?.recover({ code: event.code, reason: event.reason ?? '' })) return false
  }
  if (reaction.action === 'drop') {
    void c.drop(name, event.code, event.reason ?? '')
    return false
  }
  if (reaction.action === 'sign-out') {
    session.end(`signed out: ${event.reason || 'this session was ended on the relay'}`)
    return false
  }
  if (reaction.action === 'reauth') {
    // A socket opened with an older token closes when that token expires: reconnect it
    // with the current one; refresh only when the current one is itself stale.
    const r = rooms.get(name)
    if (r && session.tokenIsFresh()) setTimeout(() => rooms.connect(r), 0)
    else void session.reauthenticate()
    return false
  }
  if (reaction.code === ErrorCode.DeviceTaken) {
    // Every room writes as this device: stop them all, the owner of the id mints a new one.
    rooms.stopAll()
    status.fail(
      new SwitchboardError(
        ErrorCode.DeviceTaken,
        `device id ${c.deviceId} belongs to another member: open the replica with a new one`,
      ),
    )
    rooms.disconnectAll()
    return false
  }
  rooms.stop(name)
  status.fail(
    new SwitchboardError(
      reaction.code,
      `relay closed ${name} (${event.code}${event.reason ? ' ' + event.reason : ''})`,
      { room: name },
    ),
  )
  return false
}
