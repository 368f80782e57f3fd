/**
 * @module The demo's conversations: for each phone number its share of them, each a few messages,
 * calls and voicemails over three weeks, or one verification code from a short code. Drawn from a
 * seeded PRNG, so the same seed gives the same activities.
 */
import type { Activity } from '@switchboard/core'
import { FIRST, LAST, MEMBERS, PHONE_NUMBERS, SHORT_CODES, TOPICS } from './demo-workspace.ts'

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
    chance: (p: number) => next() < p,
  }
}

/** A seeded PRNG, as `prng` returns it. */
export type Prng = ReturnType<typeof prng>

/** The demo's activities, one list per conversation, grouped by phone number. */
export interface DemoConversations {
  perNumber: Map<string, Activity[][]>
  conversationIds: string[]
  activityCount: number
}

/** Draws `total` conversations whose activities fall in the three weeks before `now`. */
export function demoConversations(rand: Prng, total: number, now: number): DemoConversations {
  const DAY = 86_400_000
  const share = { 'pn-support': 0.45, 'pn-sales': 0.32, 'pn-frontdesk': 0.23 } as Record<
    string,
    number
  >
  const perNumber = new Map<string, Activity[][]>()
  const conversationIds: string[] = []
  let activityCount = 0
  let n = 0
  for (const pn of PHONE_NUMBERS) {
    const count = pn === PHONE_NUMBERS.at(-1) ? total - n : Math.round(total * share[pn.id]!)
    const convs: Activity[][] = []
    for (let i = 0; i < count; i++, n++) {
      const id = `c-${pn.id.slice(3)}-${String(i + 1).padStart(4, '0')}`
      conversationIds.push(id)
      const code = rand.chance(0.08) ? rand.pick(SHORT_CODES) : null
      const contact = code
        ? { number: code.from, name: code.name }
        : {
            number: `+1${rand.int(200, 989)}555${String(rand.int(0, 9999)).padStart(4, '0')}`,
            name: rand.chance(0.7) ? `${rand.pick(FIRST)} ${rand.pick(LAST)}` : undefined,
          }
      let at = now - rand.int(1, 21 * DAY) + 0
      const acts: Activity[] = []
      const steps = code ? 1 : rand.int(1, 8)
      const topics = TOPICS[pn.id]!
      for (let s = 0; s < steps; s++) {
        const seq = `${id}-a${s + 1}`
        const incoming = s === 0 || rand.chance(0.55)
        const fill = (t: string) =>
          t
            .replace(/\{n\}/g, String(rand.int(1000, 99999)))
            .replace(/\{code\}/g, String(rand.int(100000, 999999)))
        const base = {
          id: seq,
          conversationId: id,
          phoneNumberId: pn.id,
          at: Math.min(at, now - 60_000),
          ...(contact.name ? { contactName: contact.name } : {}),
        }
        const kindRoll = rand.next()
        let a: Activity
        if (code) {
          a = {
            ...base,
            direction: 'incoming',
            kind: 'message',
            from: contact.number,
            to: pn.number,
            body: fill(code.text),
          }
        } else if (kindRoll < 0.68) {
          a = incoming
            ? {
                ...base,
                direction: 'incoming',
                kind: 'message',
                from: contact.number,
                to: pn.number,
                body: fill(rand.pick(topics.incoming)),
              }
            : {
                ...base,
                direction: 'outgoing',
                kind: 'message',
                from: rand.pick(MEMBERS.filter((m) => m.numbers.includes(pn.id))).id,
                to: contact.number,
                body: fill(rand.pick(topics.outgoing)),
              }
        } else if (kindRoll < 0.88) {
          const missed = incoming && rand.chance(0.35)
          a = incoming
            ? {
                ...base,
                direction: 'incoming',
                kind: 'call',
                from: contact.number,
                to: pn.number,
                durationSeconds: missed ? 0 : rand.int(15, 1500),
                ...(missed ? { missed: true } : {}),
              }
            : {
                ...base,
                direction: 'outgoing',
                kind: 'call',
                from: pn.number,
                to: contact.number,
                durationSeconds: rand.int(20, 1200),
              }
        } else {
          a = {
            ...base,
            direction: 'incoming',
            kind: 'voicemail',
            from: contact.number,
            to: pn.number,
            durationSeconds: rand.int(8, 90),
            transcript: fill(rand.pick(topics.voicemail)),
          }
        }
        acts.push(a)
        at += rand.int(60_000, 6 * 3600_000)
      }
      activityCount += acts.length
      convs.push(acts)
    }
    perNumber.set(pn.id, convs)
  }
  return { perNumber, conversationIds, activityCount }
}
