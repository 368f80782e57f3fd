/**
 * @module The app's URLs, in one place: /inbox/<phone number>/<conversation>?view=<tab>, and
 * /inbox/all/<conversation>?view=<tab> for All inboxes.
 */
import { goto } from '$app/navigation'
import { resolve } from '$app/paths'
import type { ViewTab } from './util/inbox-view.ts'

/** The scope of All inboxes, where a phone number's id would be. */
export const ALL_INBOXES = 'all'

/** The URL of an inbox tab (a phone number's, or `ALL_INBOXES`), with a conversation opened or not. */
export function inboxHref(
  phone: string,
  conversation: string | null = null,
  view: ViewTab = 'open',
): string {
  let path: string
  if (phone === ALL_INBOXES)
    path = conversation
      ? resolve('/inbox/all/[[conversation]]', { conversation })
      : resolve('/inbox/all/[[conversation]]', {})
  else
    path = conversation
      ? resolve('/inbox/[phone]/[[conversation]]', { phone, conversation })
      : resolve('/inbox/[phone]/[[conversation]]', { phone })
  return view === 'open' ? path : `${path}?view=${encodeURIComponent(view)}`
}

type GotoOptions = Parameters<typeof goto>[1]

export function goInbox(
  phone: string,
  conversation: string | null = null,
  view: ViewTab = 'open',
  options: GotoOptions = {},
): Promise<void> {
  // The path comes from resolve() above; only the ?view= query is appended.
  // eslint-disable-next-line svelte/no-navigation-without-resolve
  return goto(inboxHref(phone, conversation, view), options)
}

export function goHome(options: GotoOptions = {}): Promise<void> {
  return goto(resolve('/'), options)
}

export function goInboxRoot(options: GotoOptions = {}): Promise<void> {
  return goto(resolve('/inbox'), options)
}
