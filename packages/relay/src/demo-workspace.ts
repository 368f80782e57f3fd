/**
 * @module The demo workspace's cast and script: its phone numbers, its members and the numbers
 * each may answer, the contacts' names, and what customers, members and short codes say.
 */
import type { MemberRole } from './storage/relay-storage.ts'

export const PHONE_NUMBERS = [
  { id: 'pn-support', name: 'Support', number: '+14155550142' },
  { id: 'pn-sales', name: 'Sales', number: '+14155550100' },
  { id: 'pn-frontdesk', name: 'Front Desk', number: '+14155550199' },
]

export const MEMBERS: {
  id: string
  email: string
  name: string
  role: MemberRole
  numbers: string[]
}[] = [
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

export const FIRST = [
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
export const LAST = [
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

export const TOPICS: Record<
  string,
  { incoming: string[]; outgoing: string[]; voicemail: string[] }
> = {
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

export const SHORT_CODES = [
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
