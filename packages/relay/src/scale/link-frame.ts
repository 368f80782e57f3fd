/**
 * @module The relay link's frames (docs/protocol.md "Relay link"): every WebSocket message on a
 * link is `[u8 kind][u32 stream id, big-endian][payload]`, one proxied client socket per stream.
 */

export const LinkKind = {
  /** Edge → owner: a client socket was accepted; payload the JSON `StreamOpen`. */
  Open: 1,
  /** Either way: one y-websocket message of the stream, as is. */
  Data: 2,
  /** Either way: the stream ended; payload `[u16 close code][UTF-8 reason]`. */
  Close: 3,
  /**
   * Owner → edge: one message for several streams (a broadcast), stream id 0; payload
   * `[u32 n][n × u32 stream id][message]`.
   */
  Fanout: 4,
  /**
   * Edge → owner: run one of the relay's own writes on a room the owner holds
   * (scale/owner-requests.ts); stream id = the request's id, payload the JSON `OwnerRequest`.
   */
  Request: 5,
  /** Owner → edge: the request of that id was answered; payload the JSON `OwnerAnswer`. */
  Answer: 6,
} as const
export type LinkKind = (typeof LinkKind)[keyof typeof LinkKind]

/** Bytes a link frame adds to the message it carries. */
export const LINK_HEADER_BYTES = 5

/** Bytes of an Open frame's JSON at most (ids and a room name: far below). */
export const MAX_OPEN_BYTES = 4096

/** Who a stream is, as the edge authenticated it; the owner checks its own directory again. */
export interface StreamOpen {
  room: string
  memberId: string
  sessionId: string
  /** The token's expiry (seconds since the epoch): the owner closes the stream with 4401 then. */
  exp: number
  wantsAcks: boolean
  device?: string
}

export interface LinkFrame {
  kind: number
  stream: number
  payload: Uint8Array
}

/** A link frame; one copy of `payload`. */
export function encodeLinkFrame(
  kind: LinkKind,
  stream: number,
  payload: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const out = Buffer.allocUnsafe(LINK_HEADER_BYTES + payload.byteLength)
  out[0] = kind
  out.writeUInt32BE(stream, 1)
  out.set(payload, LINK_HEADER_BYTES)
  return out as Uint8Array<ArrayBuffer>
}

export const encodeOpen = (stream: number, open: StreamOpen): Uint8Array<ArrayBuffer> =>
  encodeLinkFrame(LinkKind.Open, stream, Buffer.from(JSON.stringify(open)))

/** A Close frame; the reason is cut to 120 bytes, as a WebSocket close reason must be short. */
export function encodeClose(stream: number, code: number, reason: string): Uint8Array<ArrayBuffer> {
  const text = Buffer.from(reason).subarray(0, 120)
  const payload = Buffer.allocUnsafe(2 + text.byteLength)
  payload.writeUInt16BE(code, 0)
  payload.set(text, 2)
  return encodeLinkFrame(LinkKind.Close, stream, payload)
}

/** A Fanout frame: `message` for each of `streams`. */
export function encodeFanout(
  streams: readonly number[],
  message: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const head = LINK_HEADER_BYTES + 4 + 4 * streams.length
  const out = Buffer.allocUnsafe(head + message.byteLength)
  out[0] = LinkKind.Fanout
  out.writeUInt32BE(0, 1)
  out.writeUInt32BE(streams.length, LINK_HEADER_BYTES)
  for (let i = 0; i < streams.length; i++)
    out.writeUInt32BE(streams[i]!, LINK_HEADER_BYTES + 4 + 4 * i)
  out.set(message, head)
  return out as Uint8Array<ArrayBuffer>
}

/** A Fanout payload's streams and message (a view), or null when it is cut short. */
export function decodeFanout(
  payload: Uint8Array,
): { streams: number[]; message: Uint8Array } | null {
  if (payload.byteLength < 4) return null
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const n = view.getUint32(0)
  if (payload.byteLength < 4 + 4 * n) return null
  const streams = new Array<number>(n)
  for (let i = 0; i < n; i++) streams[i] = view.getUint32(4 + 4 * i)
  return { streams, message: payload.subarray(4 + 4 * n) }
}

/** The frame in `data`, or null when it is shorter than a header. The payload is a view, not a copy. */
export function decodeLinkFrame(data: Uint8Array): LinkFrame | null {
  if (data.byteLength < LINK_HEADER_BYTES) return null
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return {
    kind: data[0]!,
    stream: view.getUint32(1),
    payload: data.subarray(LINK_HEADER_BYTES),
  }
}

/** A Close frame's code and reason (1011 when the payload is too short to hold a code). */
export function decodeClose(payload: Uint8Array): { code: number; reason: string } {
  if (payload.byteLength < 2) return { code: 1011, reason: 'relay link: close without a code' }
  return {
    code: (payload[0]! << 8) | payload[1]!,
    reason: Buffer.from(payload.buffer, payload.byteOffset + 2, payload.byteLength - 2).toString(),
  }
}

/** An Open frame's fields, checked; null when anything is missing or of the wrong type. */
export function decodeOpen(payload: Uint8Array): StreamOpen | null {
  if (payload.byteLength > MAX_OPEN_BYTES) return null
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(payload).toString())
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  if (
    typeof v.room !== 'string' ||
    typeof v.memberId !== 'string' ||
    typeof v.sessionId !== 'string' ||
    typeof v.exp !== 'number' ||
    typeof v.wantsAcks !== 'boolean' ||
    (v.device !== undefined && typeof v.device !== 'string')
  )
    return null
  const open: StreamOpen = {
    room: v.room,
    memberId: v.memberId,
    sessionId: v.sessionId,
    exp: v.exp,
    wantsAcks: v.wantsAcks,
  }
  if (typeof v.device === 'string') open.device = v.device
  return open
}

/** Bytes of a Request or Answer frame's JSON at most (workspace writes, a restore's report). */
export const MAX_REQUEST_BYTES = 1024 * 1024

/** A write the owner of `room` is asked to make: `op` names it, `args` its data. */
export interface OwnerRequest {
  room: string
  op: string
  args: unknown
}

/**
 * What the owner did: the write's result, or why not — `admin` (a refusal the caller is answered
 * with, as AdminError), `owned` (another relay holds the room now), `refused` (unknown op or bad
 * args), `failed` (the write threw; `message` says what).
 */
export type OwnerAnswer =
  | { ok: true; value: unknown }
  | { ok: false; error: 'admin'; status: AdminStatus; field: string; message: string }
  | { ok: false; error: 'owned' | 'refused' | 'failed'; message: string }

type AdminStatus = 400 | 403 | 404 | 409 | 410
const ADMIN_STATUSES = new Set([400, 403, 404, 409, 410])

const json = (payload: Uint8Array): unknown => {
  if (payload.byteLength > MAX_REQUEST_BYTES) return null
  try {
    return JSON.parse(Buffer.from(payload).toString())
  } catch {
    return null
  }
}

export const encodeRequest = (id: number, request: OwnerRequest): Uint8Array<ArrayBuffer> =>
  encodeLinkFrame(LinkKind.Request, id, Buffer.from(JSON.stringify(request)))

export const encodeAnswer = (id: number, answer: OwnerAnswer): Uint8Array<ArrayBuffer> =>
  encodeLinkFrame(LinkKind.Answer, id, Buffer.from(JSON.stringify(answer)))

/** A Request frame's fields, checked; null when anything is missing or of the wrong type. */
export function decodeRequest(payload: Uint8Array): OwnerRequest | null {
  const v = json(payload) as Record<string, unknown> | null
  if (typeof v !== 'object' || v === null) return null
  if (typeof v.room !== 'string' || typeof v.op !== 'string') return null
  return { room: v.room, op: v.op, args: v.args }
}

/** An Answer frame's fields; null when it is not one. */
export function decodeAnswer(payload: Uint8Array): OwnerAnswer | null {
  const v = json(payload) as Record<string, unknown> | null
  if (typeof v !== 'object' || v === null) return null
  if (v.ok === true) return { ok: true, value: v.value }
  if (v.error === 'admin' && ADMIN_STATUSES.has(v.status as number))
    return {
      ok: false,
      error: 'admin',
      status: v.status as AdminStatus,
      field: String(v.field ?? ''),
      message: String(v.message ?? ''),
    }
  if (v.error === 'owned' || v.error === 'refused' || v.error === 'failed')
    return { ok: false, error: v.error, message: String(v.message ?? '') }
  return null
}
