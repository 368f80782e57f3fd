import { describe, expect, it } from 'vitest'
import { closeReaction, ErrorCode } from './errors.ts'

describe('close codes, grouped by how the client reacts (docs/protocol.md)', () => {
  it.each([
    [4401, { action: 'reauth' }],
    [4403, { action: 'drop', code: ErrorCode.Forbidden }],
    [4422, { action: 'recover', code: ErrorCode.Rejected }],
    [4413, { action: 'recover', code: ErrorCode.Rejected }],
    [4410, { action: 'sign-out' }],
    [4423, { action: 'stop', code: ErrorCode.DeviceTaken }],
    [4400, { action: 'stop', code: ErrorCode.Protocol }],
    [4429, { action: 'retry' }],
    [4500, { action: 'retry', tell: ErrorCode.Unavailable }],
    [1001, { action: 'retry' }],
    [1006, { action: 'retry' }],
  ])('close code %i → %o', (code, reaction) => {
    expect(closeReaction(code)).toEqual(reaction)
  })
})
