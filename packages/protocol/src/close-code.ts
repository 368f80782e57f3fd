/**
 * @module Close codes, and what a client does on each (docs/protocol.md keeps a copy of the table).
 *
 * The relay never leaves a client guessing: every socket it ends gets a code the client can act
 * on. The reactions fall in four groups: retry with backoff (nothing is wrong with the replica),
 * re-authenticate, adopt the room's new epoch, or stop and tell the user — and then what to drop:
 * the refused change, the room, the session or the device id. A code a client does not know
 * (1006 when the network drops, say) is retried with backoff.
 */

/** Every code the relay closes a socket with; `closeCodes` says what each means. */
export const CloseCode = {
  GoingAway: 1001,
  Reloading: 1012,
  Malformed: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  EpochChanged: 4409,
  SessionEnded: 4410,
  TooLarge: 4413,
  Rejected: 4422,
  DeviceTaken: 4423,
  SlowConsumer: 4529,
  Unreadable: 4500,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** What a client does when its socket closes with a code. */
export const Reaction = {
  Retry: 'retry',
  RetryAndTell: 'retry-and-tell',
  Reauthenticate: 'reauthenticate',
  AdoptEpoch: 'adopt-epoch',
  DropChange: 'drop-change',
  DropRoom: 'drop-room',
  SignOut: 'sign-out',
  NewDevice: 'new-device',
  StopRoom: 'stop-room',
} as const
export type Reaction = (typeof Reaction)[keyof typeof Reaction]

/** The four ways a client reacts, which the reactions refine. */
export const ReactionGroup = {
  Retry: 'retry',
  Reauthenticate: 'reauthenticate',
  AdoptEpoch: 'adopt-epoch',
  Stop: 'stop',
} as const
export type ReactionGroup = (typeof ReactionGroup)[keyof typeof ReactionGroup]

/** Each reaction: its group, and what the client does, in the words of docs/protocol.md. */
export const reactions: { readonly [R in Reaction]: { group: ReactionGroup; does: string } } = {
  [Reaction.Retry]: { group: ReactionGroup.Retry, does: 'reconnect with backoff' },
  [Reaction.RetryAndTell]: {
    group: ReactionGroup.Retry,
    does: 'retry with backoff, tell the user',
  },
  [Reaction.Reauthenticate]: {
    group: ReactionGroup.Reauthenticate,
    does: 'refresh the token, reconnect',
  },
  [Reaction.AdoptEpoch]: {
    group: ReactionGroup.AdoptEpoch,
    does: 'rebuild the room on the new epoch, replay own entries (docs/bounded-documents.md)',
  },
  [Reaction.DropChange]: {
    group: ReactionGroup.Stop,
    does: 'drop the refused change, tell the user, resync (docs/recovery.md)',
  },
  [Reaction.DropRoom]: {
    group: ReactionGroup.Stop,
    does: "drop the room's local data from the device, tell the user; other rooms go on",
  },
  [Reaction.SignOut]: {
    group: ReactionGroup.Stop,
    does: 'stop every room, sign out, tell the user (local changes stay on the device)',
  },
  [Reaction.NewDevice]: {
    group: ReactionGroup.Stop,
    does: 'stop every room; mint a new device id, open a new replica with it',
  },
  [Reaction.StopRoom]: { group: ReactionGroup.Stop, does: 'stop the room, tell the user' },
}

/** Every close code: what it means and how a client reacts. */
export const closeCodes: { readonly [C in CloseCode]: { meaning: string; reaction: Reaction } } = {
  [CloseCode.GoingAway]: {
    meaning: 'relay shutting down, or it lost its room lease (several relays): try another relay',
    reaction: Reaction.Retry,
  },
  [CloseCode.Reloading]: {
    meaning:
      "the room reloads from its log (an update did what its admission did not predict), moves to another relay (taken over, its owner drains or lost its lease), or the relay lost its link to the room's owner",
    reaction: Reaction.Retry,
  },
  [CloseCode.Malformed]: { meaning: 'malformed frame', reaction: Reaction.StopRoom },
  [CloseCode.Unauthorized]: {
    meaning: "token missing, invalid or expired; or the member's role changed",
    reaction: Reaction.Reauthenticate,
  },
  [CloseCode.Forbidden]: {
    meaning: 'no access to the room, or access revoked (or its phone number removed, [N5])',
    reaction: Reaction.DropRoom,
  },
  [CloseCode.EpochChanged]: {
    meaning: 'the room started a new epoch',
    reaction: Reaction.AdoptEpoch,
  },
  [CloseCode.SessionEnded]: {
    meaning: 'session ended: signed out, revoked, refresh token reused, member removed',
    reaction: Reaction.SignOut,
  },
  [CloseCode.TooLarge]: {
    meaning: 'frame over its size cap, or a presence state over its cap ("Limits")',
    reaction: Reaction.DropChange,
  },
  [CloseCode.Rejected]: {
    meaning: "update rejected by validation (schema, clock drift, another member's entry)",
    reaction: Reaction.DropChange,
  },
  [CloseCode.DeviceTaken]: {
    meaning: 'the declared device id belongs to another member',
    reaction: Reaction.NewDevice,
  },
  [CloseCode.SlowConsumer]: {
    meaning: "slow consumer, an update held too long, or the member's socket cap reached",
    reaction: Reaction.Retry,
  },
  [CloseCode.Unreadable]: { meaning: 'room storage unreadable', reaction: Reaction.RetryAndTell },
}

const isCloseCode = (code: number): code is CloseCode => Object.hasOwn(closeCodes, code)

/** How a client reacts to a socket closed with `code`; unknown codes are retried with backoff. */
export function reactionTo(code: number): Reaction {
  return isCloseCode(code) ? closeCodes[code].reaction : Reaction.Retry
}
