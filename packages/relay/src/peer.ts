/** @module A connection as a room sees it: who it is, and how frames reach it. */

/** A connection, as a room sees it. */
export interface Peer {
  readonly memberId: string
  readonly memberName: string
  readonly wantsAcks: boolean
  /** The awareness clientID this socket announced first; the only one it may set. */
  awarenessClientId: number | null
  /**
   * `answer`: the frame answers the client's own sync step 1 (a cold join's whole state). Its
   * bytes do not count against the socket's slow-consumer bound while they drain, so a frame
   * broadcast meanwhile does not close a client that is merely receiving a big room.
   */
  send(frame: Uint8Array, answer?: boolean): void
  /**
   * The same frame to many sockets (a broadcast; null: none for this socket), then `own`, frames
   * for this socket alone (its acks), in one write: each write to a socket is a system call, and
   * every ack paid one. `once` is shared by every call of that broadcast, so the transport can
   * put the frame in its wire format once for all of them.
   */
  sendShared?(frame: Uint8Array | null, once: SharedFrame, own: readonly Uint8Array[]): void
  close(code: number, reason: string): void
  /**
   * Binds a device id this socket announces in its presence to its member, if unbound [L2];
   * false when it is another member's (or not an id), and the presence goes without it.
   */
  claimDevice?(deviceId: string): boolean
}

/** A broadcast frame's wire form, made by the first socket that needs it (see Peer.sendShared). */
export interface SharedFrame {
  wire?: Uint8Array
}
