/**
 * @module Notifications while the tab is open: "(3) Switchboard" in the title, and a system
 * notification for new incoming activity and new @mentions when the tab is in the background.
 */
import type { Replica } from './replica.svelte.ts'

class NotificationPermissionState {
  permission = $state<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  )

  async request(): Promise<void> {
    if (typeof Notification === 'undefined') return
    this.permission = await Notification.requestPermission()
  }
}

export const notifications = new NotificationPermissionState()

function notify(title: string, body: string, tag: string): void {
  if (notifications.permission !== 'granted' || !document.hidden) return
  try {
    const n = new Notification(title, { body, tag, icon: '/favicon.svg' })
    n.onclick = () => {
      window.focus()
      n.close()
    }
  } catch {
    // Some browsers only allow notifications from a service worker; the title badge remains.
  }
}

/** Keep the title badge and notifications in step with the replica; returns a cleanup. */
export function watchNotifications(replica: Replica): () => void {
  let lastUnread: Map<string, number> | null = null
  let lastMentions: Set<string> | null = null
  return $effect.root(() => {
    $effect(() => {
      const unread = replica.phoneNumbers.reduce((sum, pn) => sum + pn.unread, 0)
      document.title = unread > 0 ? `(${unread}) Switchboard` : 'Switchboard'
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a snapshot to diff, not state
      const now = new Map(replica.phoneNumbers.map((pn) => [pn.id, pn.unread]))
      if (lastUnread) {
        for (const pn of replica.phoneNumbers) {
          const before = lastUnread.get(pn.id) ?? 0
          if (pn.unread > before) {
            notify(`New activity on ${pn.name}`, `${pn.unread} unread conversations`, `pn:${pn.id}`)
          }
        }
      }
      lastUnread = now
    })
    $effect(() => {
      void replica.inboxVersion
      void replica.updateVersion
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a snapshot to diff, not state
      const ids = new Set<string>()
      for (const pn of replica.phoneNumbers) {
        for (const m of replica.inbox(pn.id).mentions(replica.memberId)) {
          if (m.cleared) continue
          ids.add(m.id)
          if (lastMentions && !lastMentions.has(m.id)) {
            notify(`${replica.nameOf(m.by)} mentioned you`, `On ${pn.name}`, `mention:${m.id}`)
          }
        }
      }
      lastMentions = ids
    })
  })
}
