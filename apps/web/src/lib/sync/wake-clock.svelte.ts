/**
 * @module The time the views are derived at [Z5]. It moves only when a snooze's wake time passes
 * (a timer at the next one), so lists are rebuilt then and not on every tick; a snooze made since
 * the last move always lies after it, so it hides at once.
 */
import { untrack } from 'svelte'
import { createWakeTimer, type Inbox, type WakeTimer } from '@switchboard/client'

class WakeClock {
  now = $state(Date.now())
  /** The conversation whose Snooze menu the `H` key asked to open, until its menu opens. */
  menuFor = $state<string | null>(null)
  #timer: WakeTimer | null = null
  #source: (() => readonly Inbox[]) | null = null

  /**
   * Follows the snoozes of the inboxes on screen (`inboxes`, read at each look); returns a
   * function that stops following them. Reads nothing reactively (safe in an `$effect`).
   */
  follow(inboxes: () => readonly Inbox[]): () => void {
    return untrack(() => this.#follow(inboxes))
  }

  #nextWake(after: number): number | null {
    let next: number | null = null
    for (const inbox of this.#source?.() ?? []) {
      const t = inbox.nextWake(after)
      if (t !== null && (next === null || t < next)) next = t
    }
    return next
  }

  #follow(inboxes: () => readonly Inbox[]): () => void {
    this.#timer?.stop()
    this.#source = inboxes
    this.now = Date.now()
    // Asked after the displayed time, not the wall clock: a remote snooze whose time passed
    // while it was on its way still moves the clock at once.
    const timer = createWakeTimer({
      nextWake: () => this.#nextWake(this.now),
      onWake: (t) => (this.now = t),
    })
    this.#timer = timer
    return () => {
      timer.stop()
      if (this.#timer === timer) {
        this.#timer = null
        this.#source = null
      }
    }
  }

  /** Looks for the next wake time again (after the inboxes changed). */
  reschedule(): void {
    untrack(() => this.#timer?.reschedule())
  }
}

export const wakeClock = new WakeClock()

/**
 * For a component: tabs follow the snoozes of `inboxes`, and the next wake time is looked for
 * again whenever `changes()` moves (the list was derived anew).
 */
export function followWakes(inboxes: () => readonly Inbox[], changes: () => unknown): void {
  $effect(() => wakeClock.follow(inboxes))
  $effect(() => {
    changes()
    wakeClock.reschedule()
  })
}
