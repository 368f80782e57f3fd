/**
 * @module What became of a reply sent through a phone provider (issue 22): Sending, Sent,
 * Delivered, Failed or Unknown, per outgoing activity, in the conversation's document.
 *
 * An activity is written once and never changes, so its delivery lives beside it in the
 * relay-only `delivery` map (members write no root but their own [M8]). Providers report out of
 * order (a late "sent" after "delivered"), so within one attempt a state only moves forward;
 * a resend is a new attempt and starts again at Sending [D1]–[D3].
 */
import type * as Y from 'yjs'
import { assert } from './assert.ts'

export const DeliveryState = {
  /** In the relay's outbox; the provider has not accepted it yet. */
  Sending: 'sending',
  /** The relay cannot tell whether the provider took it (a send whose answer was lost). */
  Unknown: 'unknown',
  /** The provider accepted it. */
  Sent: 'sent',
  Delivered: 'delivered',
  /** The provider refused it or reported it undelivered; `reason` says why. */
  Failed: 'failed',
} as const
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState]
export const deliveryStates: readonly DeliveryState[] = Object.values(DeliveryState)

/** The delivery of one outgoing activity. */
export interface Delivery {
  state: DeliveryState
  /** 1 for the first send; a resend (after Failed or Unknown) is the next attempt. */
  attempt: number
  /** When the relay learnt this state (ms since the epoch). */
  at: number
  /** Failed (and Unknown): the provider's reason, in its words. */
  reason?: string
  /** The provider's id for the message, once it accepted it. */
  providerMessageId?: string
}

/** How far along a state is within one attempt: a report never moves a delivery back [D2]. */
const rank: Record<DeliveryState, number> = {
  sending: 0,
  unknown: 1,
  sent: 2,
  delivered: 3,
  failed: 3,
}

export const deliveryRoot = (doc: Y.Doc) => doc.getMap<Delivery>('delivery')

/** The delivery of `activityId`, or null for an activity that never went through a provider. */
export function deliveryOf(doc: Y.Doc, activityId: string): Delivery | null {
  return deliveryRoot(doc).get(activityId) ?? null
}

/** Whether `next` replaces `current` [D2][D3]. */
export function supersedes(current: Delivery | null, next: Delivery): boolean {
  if (!current) return true
  if (next.attempt !== current.attempt) return next.attempt > current.attempt
  return rank[next.state] > rank[current.state]
}

/**
 * Records a delivery report (the relay's write); false when it changes nothing because the
 * delivery already went further, or a later attempt started.
 */
export function setDelivery(
  doc: Y.Doc,
  activityId: string,
  delivery: Delivery,
  origin: unknown = null,
): boolean {
  assert(deliveryStates.includes(delivery.state), `setDelivery: unknown state ${delivery.state}`)
  assert(Number.isSafeInteger(delivery.attempt) && delivery.attempt >= 1, 'setDelivery: attempt')
  if (!supersedes(deliveryOf(doc, activityId), delivery)) return false
  doc.transact(() => deliveryRoot(doc).set(activityId, { ...delivery }), origin)
  return true
}

/**
 * Whether a reply counts as a response in the team figures [D4]: the provider took it. An
 * outgoing activity without a delivery did not go through our outbox (the generic webhook
 * reported a message the provider already sent), so it counts.
 */
export function accepted(delivery: Delivery | null): boolean {
  return delivery === null || delivery.state === 'sent' || delivery.state === 'delivered'
}
