/** The relay's options as its modules read them: defaults, and caps derived from others. */
import { describe, expect, it } from 'vitest'
import { resolveOptions, type RelayOptions } from './relay-options.ts'
import { createMemoryStorage } from './storage/memory.ts'

const base = (): RelayOptions => ({
  storage: createMemoryStorage(),
  secret: 's',
  webhookSecret: 'w',
  upgradeWebSocket: (() => {}) as unknown as RelayOptions['upgradeWebSocket'],
})

describe('resolved relay options', () => {
  it('unset options take the documented defaults', () => {
    const o = resolveOptions(base())
    expect(o.maxFrameBytes).toBe(1024 * 1024)
    expect(o.maxSyncFrameBytes).toBe(32 * 1024 * 1024)
    expect(o.maxSocketsPerMember).toBe(100)
    expect(o.maxPresenceBytes).toBe(8 * 1024)
    expect(o.presenceUpdatesPerSecond).toBe(10)
    expect(o.roomIdleMs).toBe(30_000)
    expect(o.compactEvery).toBe(500)
    expect(o.epochEvery).toBe(0)
    expect(o.epochOnLoad).toEqual({ items: 50_000, writers: 2_000 })
    expect(o.keepaliveMs).toBe(10_000)
    expect(o.allowedOrigins.size).toBe(0)
  })

  it('[L6] a sync step 2 may always be as big as any frame, and a member buffers two of them', () => {
    const o = resolveOptions({ ...base(), maxFrameBytes: 64 << 20, maxSyncFrameBytes: 1 << 20 })
    expect(o.maxSyncFrameBytes).toBe(64 << 20)
    expect(o.maxSyncBytesPerMember).toBe(2 * (64 << 20))
  })

  it('[L6] an explicit per-member sync budget is kept, 0 included (no cap)', () => {
    expect(resolveOptions({ ...base(), maxSyncBytesPerMember: 0 }).maxSyncBytesPerMember).toBe(0)
  })

  it('[A1] login limits without hash concurrency keep its defaults', () => {
    const o = resolveOptions({ ...base(), loginLimit: { perEmail: 2, perIp: 9, windowMs: 1000 } })
    expect(o.loginLimits.perEmail).toBe(2)
    expect(o.loginLimits.concurrentHashes).toBeGreaterThan(0)
  })
})
