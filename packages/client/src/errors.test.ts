import { describe, expect, it } from 'vitest'
import { closeReaction, ErrorCode } from './errors.ts'

describe('close codes, grouped by how the client reacts (docs/protocol.md)', () => {
  it.each([
    [4401, { action: 'reauth' }],
    [4403, { action: 'stop', code: ErrorCode.Forbidden }],
    [4422, { action: 'stop', code: ErrorCode.Rejected }],
    [4423, { action: 'stop', code: ErrorCode.DeviceTaken }],
    [4400, { action: 'stop', code: ErrorCode.Protocol }],
    [4413, { action: 'stop', code: ErrorCode.Protocol }],
    [4429, { action: 'retry' }],
    [4500, { action: 'retry', tell: ErrorCode.Unavailable }],
    [1001, { action: 'retry' }],
    [1006, { action: 'retry' }],
  ])('close code %i → %o', (code, reaction) => {
    expect(closeReaction(code)).toEqual(reaction)
  })
})
