/**
 * @module The demo workspace seeded on an empty DATA_DIR: 3 phone numbers, 5 members with
 * different number access, ~500 conversations of messages, calls, voicemails and verification
 * codes, some Done, some Unread. Deterministic: the same seed gives the same workspace.
 */
import {
  appendActivity,
  assignConversation,
  createHlc,
  getConversation,
  ingestActivity,
  markConversation,
  pinConversation,
  type Activity,
  type Author,
  type MarkKind,
} from '@switchboard/core'
import { demoConversations, prng } from './demo-activities.ts'
import { MEMBERS, PHONE_NUMBERS } from './demo-workspace.ts'
import { RELAY_ORIGIN } from './room.ts'
import type { Relay } from './relay.ts'
import type { MemberRole } from './storage/relay-storage.ts'

export interface DemoOptions {
  password: string
  seed?: number
  conversations?: number
  /** The demo's "now"; activities fall in the three weeks before it. */
  now?: number
}

export { prng } from './demo-activities.ts'

export interface DemoResult {
  members: { id: string; email: string; name: string; role: MemberRole }[]
  phoneNumbers: { id: string; name: string; number: string }[]
  conversationIds: string[]
  counts: { conversations: number; activities: number; done: number; unread: number }
}

/** Seeds the demo through the relay's own durable path (one merged write per room). */
export async function seedDemo(relay: Relay, options: DemoOptions): Promise<DemoResult> {
  const rand = prng(options.seed ?? 20240601)
  const total = options.conversations ?? 500
  const now = options.now ?? Date.now()

  const members = []
  for (const m of MEMBERS) {
    await relay.admin.createMember(
      {
        id: m.id,
        email: m.email,
        name: m.name,
        role: m.role,
        password: options.password,
      },
      { demo: true },
    )
    members.push({ id: m.id, email: m.email, name: m.name, role: m.role })
  }
  for (const pn of PHONE_NUMBERS) await relay.admin.createPhoneNumber(pn)
  for (const m of MEMBERS) for (const pn of m.numbers) await relay.admin.grant(m.id, pn)

  const { perNumber, conversationIds, activityCount } = demoConversations(rand, total, now)

  // Authors: one device per member, their clocks set to the moment each mark is made.
  let markAt = now
  const authors = new Map<string, Author>(
    MEMBERS.map((m) => [
      m.id,
      { memberId: m.id, deviceId: `demo-${m.id}`, clock: createHlc(`demo-${m.id}`, () => markAt) },
    ]),
  )
  let done = 0
  let unread = 0
  // Written by the relay on the members' behalf: their devices are theirs, as if they had
  // connected with them [L1], so no other member can claim one by writing under it first.
  relay.storage.transaction(() => {
    for (const m of MEMBERS) relay.storage.bindDevice(`demo-${m.id}`, m.id)
  })
  relay.storage.transaction(() => {
    for (const [pnId, convs] of perNumber)
      for (const acts of convs)
        relay.storage.setConversationPhoneNumber(acts[0]!.conversationId, pnId)
  })
  for (const [pnId, convs] of perNumber) {
    const staff = MEMBERS.filter((m) => m.numbers.includes(pnId))
    // One timeline per inbox, replayed in time order, so marks carry the times they were made
    // and some conversations are Done before the customer writes again (reopened, P3).
    type Event =
      | { at: number; activity: Activity }
      | {
          at: number
          mark: {
            id: string
            kind: MarkKind
            author: Author
            pin: boolean
            assignee: string | null
          }
        }
    const events: Event[] = []
    for (const acts of convs) {
      for (const a of acts) events.push({ at: a.at, activity: a })
      const id = acts[0]!.conversationId
      const roll = rand.next()
      const kind: MarkKind | null =
        roll < 0.55 ? 'done' : roll < 0.8 ? 'read' : roll < 0.83 ? 'unread' : null
      if (!kind) continue
      const author = authors.get(rand.pick(staff).id)!
      const beforeLast = acts.length > 1 && rand.chance(0.12) ? acts.at(-2)!.at : null
      const last = acts.at(-1)!.at
      const at =
        beforeLast !== null
          ? beforeLast + Math.floor((last - beforeLast) / 2)
          : Math.min(last + rand.int(60_000, 3 * 3600_000), now)
      const assignee = kind !== 'done' && rand.chance(0.2) ? rand.pick(staff).id : null
      events.push({ at, mark: { id, kind, author, pin: rand.chance(0.04), assignee } })
    }
    events.sort((a, b) => a.at - b.at)
    await relay.writeRoom(`inbox:${pnId}`, (doc) => {
      for (const event of events) {
        if ('activity' in event) {
          ingestActivity(doc, event.activity, RELAY_ORIGIN)
          continue
        }
        const { id, kind, author, pin, assignee } = event.mark
        markAt = event.at
        markConversation(doc, id, kind, author, RELAY_ORIGIN)
        if (pin) pinConversation(doc, id, author, RELAY_ORIGIN)
        if (assignee) assignConversation(doc, id, assignee, author, RELAY_ORIGIN)
      }
      for (const acts of convs) {
        const c = getConversation(doc, acts[0]!.conversationId)
        if (c?.status === 'done') done++
        if (c?.unread) unread++
      }
    })
  }
  await Promise.all(
    [...perNumber.values()].flat().map((acts) =>
      relay.writeRoom(`conversation:${acts[0]!.conversationId}`, (doc) => {
        for (const a of acts) appendActivity(doc, a, RELAY_ORIGIN)
      }),
    ),
  )
  relay.storage.transaction(() => {
    for (const acts of [...perNumber.values()].flat())
      for (const a of acts) relay.storage.recordActivity(a.id)
    relay.storage.setMeta('demo', 'seeded')
  })
  return {
    members,
    phoneNumbers: PHONE_NUMBERS,
    conversationIds,
    counts: { conversations: conversationIds.length, activities: activityCount, done, unread },
  }
}
