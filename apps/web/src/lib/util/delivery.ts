/**
 * @module What the app says about a reply sent through a phone provider (its delivery, written
 * by the relay), the composer's length check, and the banner of a number whose credentials the
 * provider refused. Pure, so the exact words are tested here and relied on by the e2e suite.
 */
import type { Delivery } from '@switchboard/core'

export interface DeliveryLabel {
  /** The words shown, which are also the accessible text: "Sending", "Failed — <reason>"… */
  text: string
  /** Whether a one-click Resend is offered (Failed, Unknown). */
  resend: boolean
  /** How it reads at a glance: waiting, done, or needs a person. */
  tone: 'waiting' | 'done' | 'attention'
}

/** The label of a reply's delivery; null for an activity that never went through a provider. */
export function deliveryLabel(delivery: Delivery | null): DeliveryLabel | null {
  if (!delivery) return null
  switch (delivery.state) {
    case 'sending':
      return { text: 'Sending', resend: false, tone: 'waiting' }
    case 'sent':
      return { text: 'Sent', resend: false, tone: 'done' }
    case 'delivered':
      return { text: 'Delivered', resend: false, tone: 'done' }
    case 'failed': {
      const reason = delivery.reason?.trim()
      return { text: reason ? `Failed — ${reason}` : 'Failed', resend: true, tone: 'attention' }
    }
    case 'unknown':
      return { text: 'Unknown — check', resend: true, tone: 'attention' }
    default:
      return null
  }
}

/**
 * Why a reply is refused before sending, or null when it fits. Counted in UTF-16 code units
 * (JavaScript's `length`), as the relay counts when it checks the same limit.
 */
export function bodyLimitError(body: string, maxBodyLength: number | undefined): string | null {
  if (maxBodyLength === undefined || body.length <= maxBodyLength) return null
  const limit = maxBodyLength.toLocaleString('en-US')
  const length = body.length.toLocaleString('en-US')
  return `Too long (${length} characters): ${limit} characters at most for this number.`
}

/** The banner of a number whose provider refuses its credentials; null when it does not. */
export function credentialsBanner(phoneNumber: {
  name: string
  providerStatus?: 'credentials-rejected'
}): string | null {
  if (phoneNumber.providerStatus !== 'credentials-rejected') return null
  return `${phoneNumber.name}: the provider refused this number's credentials — an admin must update them`
}
