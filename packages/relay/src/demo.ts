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

export interface DemoResult {
  members: { id: string; email: string; name: string; role: MemberRole }[]
  phoneNumbers: { id: string; name: string; number: string }[]
  conversationIds: string[]
  counts: { conversations: number; activities: number; done: number; unread: number }
}

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

const PHONE_NUMBERS = [
  { id: 'pn-support', name: 'Support', number: '+14155550142' },
  { id: 'pn-sales', name: 'Sales', number: '+14155550100' },
  { id: 'pn-frontdesk', name: 'Front Desk', number: '+14155550199' },
]

const MEMBERS: { id: string; email: string; name: string; role: MemberRole; numbers: string[] }[] =
  [
    {
      id: 'alice',
      email: 'alice@example.com',
      name: 'Alice Martin',
      role: 'owner',
      numbers: ['pn-support', 'pn-sales', 'pn-frontdesk'],
    },
    {
      id: 'bob',
      email: 'bob@example.com',
      name: 'Bob Nguyen',
      role: 'admin',
      numbers: ['pn-support', 'pn-sales'],
    },
    {
      id: 'carol',
      email: 'carol@example.com',
      name: 'Carol Diaz',
      role: 'member',
      numbers: ['pn-support'],
    },
    {
      id: 'dan',
      email: 'dan@example.com',
      name: 'Dan Okafor',
      role: 'member',
      numbers: ['pn-sales', 'pn-frontdesk'],
    },
    {
      id: 'erin',
      email: 'erin@example.com',
      name: 'Erin Walsh',
      role: 'member',
      numbers: ['pn-frontdesk'],
    },
  ]

const FIRST = [
  'Jordan',
  'Priya',
  'Lucas',
  'Maya',
  'Omar',
  'Chloé',
  'Hiro',
  'Fatima',
  'Noah',
  'Elena',
  'Sam',
  'Grace',
  'Mateo',
  'Aisha',
  'Leo',
  'Sofia',
  'Kwame',
  'Ines',
  'Tom',
  'Yuki',
]
const LAST = [
  'Bennett',
  'Kapoor',
  'Moreau',
  'Chen',
  'Haddad',
  'Rossi',
  'Tanaka',
  'Silva',
  'Murphy',
  'Novak',
  'Schmidt',
  'Dubois',
  'Park',
  'Okoro',
  'Lindqvist',
]

const TOPICS: Record<string, { incoming: string[]; outgoing: string[]; voicemail: string[] }> = {
  'pn-support': {
    incoming: [
      "Hi, my order #{n} hasn't arrived yet. Can you check?",
      'The app keeps logging me out since this morning',
      'Is there a way to change the delivery address on order {n}?',
      'I was charged twice for my subscription this month',
      'Thanks, that fixed it!',
      'Still not working after the update, any ideas?',
      'Can I get a refund for the damaged item?',
      'Where do I find my invoice?',
      'Perfect, thank you so much 🙏',
      'Could someone call me back about my account?',
    ],
    outgoing: [
      'Thanks for reaching out! Let me look into order {n}.',
      "I've issued a refund, you'll see it in 3–5 business days.",
      'Could you try signing out and back in?',
      'Your replacement ships today, tracking to follow.',
      'Happy to help — anything else?',
      'I just sent you the invoice by email.',
    ],
    voicemail: [
      "Hi, it's about my order {n}, it still hasn't shipped. Please call me back.",
      'Hello, I need help resetting my password, my number is the one I am calling from.',
      'Calling about a double charge on my card. Thanks.',
    ],
  },
  'pn-sales': {
    incoming: [
      'Do you offer a team plan for 12 people?',
      "What's the price difference between Pro and Business?",
      'Can we book a demo for Thursday?',
      'We signed the contract, what are the next steps?',
      'Is there a discount for annual billing?',
      'Do you integrate with Salesforce?',
      'Sounds good, send me the quote',
      'Can you do {n} seats at the startup rate?',
    ],
    outgoing: [
      'Great question! The Business plan includes SSO and audit logs.',
      'Demo booked for Thursday 2pm, invite sent.',
      'Here is the quote for {n} seats: https://example.com/q/{n}',
      'Annual billing saves you two months.',
      'Yes — native Salesforce and HubSpot integrations.',
    ],
    voicemail: [
      'Hi, this is about the quote you sent, we have a couple of questions. Call me when you can.',
      "Hello, I'd like to talk to someone about pricing for my team.",
    ],
  },
  'pn-frontdesk': {
    incoming: [
      'Are you open on Saturday?',
      'I need to reschedule my appointment tomorrow',
      "I'm running 10 minutes late, sorry!",
      'Can I park in front of the building?',
      'Do you have availability next week?',
      'Is the office closed for the holiday?',
    ],
    outgoing: [
      "We're open 9–1 on Saturdays.",
      'No problem, you are now booked for Friday 3pm.',
      'Thanks for letting us know, see you soon.',
      'Visitor parking is behind the building.',
    ],
    voicemail: [
      "Hi, I'd like to book an appointment for next week, any afternoon works.",
      'Calling to cancel my appointment on Monday, thank you.',
    ],
  },
}

const SHORT_CODES = [
  {
    from: '+18885550111',
    name: 'Stripe',
    text: 'Your Stripe verification code is {code}. Do not share it.',
  },
  { from: '+18885550122', name: 'Google', text: 'G-{code} is your Google verification code.' },
  {
    from: '+18885550133',
    name: 'Bank of Example',
    text: 'Bank of Example: use {code} to confirm your login. Never share this code.',
  },
]

/** Seeds the demo through the relay's own durable path (one merged write per room). */
export async function seedDemo(relay: Relay, options: DemoOptions): Promise<DemoResult> {
  const rand = prng(options.seed ?? 20240601)
  const total = options.conversations ?? 500
  const now = options.now ?? Date.now()
  const DAY = 86_400_000

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
