import { CloseCode, closeCodes, Reaction, reactions, reactionTo } from '@switchboard/protocol'
import { describe, expect, it } from 'vitest'
import { closeReaction, ErrorCode } from './errors.ts'

describe('close codes, grouped by how the client reacts (@switchboard/protocol, docs/protocol.md)', () => {
  it.each([
    [CloseCode.Unauthorized, { action: 'reauth' }],
    [CloseCode.Forbidden, { action: 'drop', code: ErrorCode.Forbidden }],
    [CloseCode.Rejected, { action: 'recover', code: ErrorCode.Rejected }],
    [CloseCode.TooLarge, { action: 'recover', code: ErrorCode.Rejected }],
    [CloseCode.SessionEnded, { action: 'sign-out' }],
    [CloseCode.DeviceTaken, { action: 'stop', code: ErrorCode.DeviceTaken }],
    [CloseCode.Malformed, { action: 'stop', code: ErrorCode.Protocol }],
    [CloseCode.SlowConsumer, { action: 'retry' }],
    [CloseCode.Unreadable, { action: 'retry', tell: ErrorCode.Unavailable }],
    [CloseCode.GoingAway, { action: 'retry' }],
    [CloseCode.Reloading, { action: 'retry' }],
    // The room registry rebuilds the room on a new epoch before it asks for a reaction.
    [CloseCode.EpochChanged, { action: 'retry' }],
    // Abnormal closure: the network dropped, no close frame from the relay.
    [1006, { action: 'retry' }],
  ])('close code %i → %o', (code, reaction) => {
    expect(closeReaction(code)).toEqual(reaction)
  })

  it("every code of the protocol's table gets the action of its reaction's group", () => {
    const groupOf = (action: string) =>
      ({
        retry: 'retry',
        reauth: 'reauthenticate',
        recover: 'stop',
        drop: 'stop',
        stop: 'stop',
        'sign-out': 'stop',
      })[action]
    for (const code of Object.values(CloseCode)) {
      const reaction = reactionTo(code)
      expect(reaction, `${code}`).toBe(closeCodes[code].reaction)
      const group = reactions[reaction].group
      // Adopting an epoch happens before the client asks (see above), so it reads as a retry.
      const expected = reaction === Reaction.AdoptEpoch ? 'retry' : group
      expect(groupOf(closeReaction(code).action), `${code} (${reaction})`).toBe(expected)
    }
  })
})
