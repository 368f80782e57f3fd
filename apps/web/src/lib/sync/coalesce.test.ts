import { describe, expect, it } from 'vitest'
import { coalesceToFrame, type FrameScheduler } from './coalesce.ts'

/** A scheduler whose frames and timers run when the test says. */
function manual(visible: boolean) {
  const frames: (() => void)[] = []
  const timers = new Map<number, { fn: () => void; ms: number }>()
  let next = 1
  const scheduler: FrameScheduler = {
    requestFrame: (fn) => frames.push(fn),
    visible: () => visible,
    setTimeout: (fn, ms) => (timers.set(next, { fn, ms }), next++),
    clearTimeout: (h) => timers.delete(h as number),
  }
  return {
    scheduler,
    frame: () => frames.splice(0).forEach((f) => f()),
    fireTimers: () => [...timers.values()].forEach((t) => t.fn()),
    timerDelays: () => [...timers.values()].map((t) => t.ms),
  }
}

describe('coalescing document events to the next frame', () => {
  it('runs once at the next frame however many events came, and again for later events', () => {
    const m = manual(true)
    let runs = 0
    const bump = coalesceToFrame(() => runs++, 100, m.scheduler)
    bump()
    bump()
    bump()
    expect(runs).toBe(0)
    m.frame()
    expect(runs).toBe(1)
    m.fireTimers()
    expect(runs).toBe(1)
    bump()
    m.frame()
    expect(runs).toBe(2)
  })

  it('on a hidden page (no frames) a short timer runs it, so counts and the title still move', () => {
    const m = manual(false)
    let runs = 0
    const bump = coalesceToFrame(() => runs++, 100, m.scheduler)
    bump()
    expect(m.timerDelays()).toEqual([16])
    m.fireTimers()
    expect(runs).toBe(1)
  })

  it('a frame that never comes is covered by the fallback timer', () => {
    const m = manual(true)
    let runs = 0
    const bump = coalesceToFrame(() => runs++, 100, m.scheduler)
    bump()
    expect(m.timerDelays()).toEqual([100])
    m.fireTimers()
    expect(runs).toBe(1)
    m.frame()
    expect(runs).toBe(1)
  })
})
