import { describe, expect, it } from 'vitest'
import { committedSwipe, revealedAction, swipeAxis } from './swipe.ts'

describe('touch swipes (DESIGN §1: swipe left → Done, right → Unread)', () => {
  it('commits Done for a long swipe left and Unread for a long swipe right', () => {
    expect(committedSwipe(-150, 5, 375)).toBe('done')
    expect(committedSwipe(150, -5, 375)).toBe('unread')
  })

  it('commits nothing for a tap, a short drag or a vertical scroll', () => {
    expect(committedSwipe(0, 0, 375)).toBeNull()
    expect(committedSwipe(-30, 0, 375)).toBeNull()
    expect(committedSwipe(-120, 200, 375)).toBeNull()
  })

  it('reveals the action under the finger as soon as the row moves', () => {
    expect(revealedAction(-20)).toBe('done')
    expect(revealedAction(20)).toBe('unread')
    expect(revealedAction(2)).toBeNull()
  })

  it('decides the axis once the finger has moved a little', () => {
    expect(swipeAxis(3, 4)).toBeNull()
    expect(swipeAxis(20, 4)).toBe(true)
    expect(swipeAxis(4, 20)).toBe(false)
  })
})
