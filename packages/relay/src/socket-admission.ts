/**
 * @module Whether a room socket may open, judged before any document byte is sent: the token and
 * its live session, the room, the member's access and role, the declared device id. A refusal
 * carries the close code the client acts on (docs/protocol.md).
 */
import { isValidId, parseRoom, type Room as RoomName } from '@switchboard/core'
import { CloseCode } from '@switchboard/protocol'
import type { Access } from './access.ts'
import type { Authenticate } from './http.ts'
import type { MemberRecord } from './storage/relay-storage.ts'

export interface SocketRefusal {
  ok: false
  code: number
  reason: string
}

export interface SocketGrant {
  ok: true
  member: MemberRecord
  sessionId: string
  /** The token's expiry (seconds since the epoch). */
  exp: number
  roomName: RoomName
  readOnly: boolean
  /** The device id the socket declared (`device=`), not yet claimed. */
  device: string | undefined
}

/** The query of `GET /sync/:room`. */
export interface SocketRequest {
  room: string
  token: string | undefined
  device: string | undefined
}

/** Checks a socket's token, room, access and device id (its claim is the caller's: see claimDevice). */
export async function admitSocket(
  deps: { authenticate: Authenticate; access: Access['access'] },
  req: SocketRequest,
): Promise<SocketGrant | SocketRefusal> {
  const roomName = parseRoom(req.room)
  const auth = await deps.authenticate(req.token)
  if (!auth.ok)
    return {
      ok: false,
      code: auth.reason === 'revoked' ? CloseCode.SessionEnded : CloseCode.Unauthorized,
      reason: `token ${auth.reason}`,
    }
  if (!roomName) return { ok: false, code: CloseCode.Forbidden, reason: 'no such room' }
  const granted = memberAccess(deps.access, auth.member, roomName, req.device)
  if (!granted.ok) return granted
  const { member, sessionId, exp } = auth
  return {
    ok: true,
    member,
    sessionId,
    exp,
    roomName,
    readOnly: granted.readOnly,
    device: req.device,
  }
}

/** Whether `member` may open `room` declaring `device` (a room's owner asks it again, for itself). */
export function memberAccess(
  access: Access['access'],
  member: MemberRecord,
  room: RoomName,
  device: string | undefined,
): { ok: true; readOnly: boolean } | SocketRefusal {
  const granted = access(member, room)
  if (!granted) return { ok: false, code: CloseCode.Forbidden, reason: 'no access to this room' }
  if (device !== undefined && !isValidId(device))
    return { ok: false, code: CloseCode.Malformed, reason: 'device is not an id' }
  return { ok: true, readOnly: granted.readOnly }
}

/** [L1] Binds the declared device to the member now if nobody holds it; a refusal otherwise. */
export function claimDevice(
  claim: (device: string, memberId: string) => boolean,
  grant: { member: MemberRecord; device: string | undefined },
): SocketRefusal | null {
  if (grant.device !== undefined && !claim(grant.device, grant.member.id))
    return { ok: false, code: CloseCode.DeviceTaken, reason: 'device id of another member' }
  return null
}
