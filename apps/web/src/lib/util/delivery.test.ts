import { describe, expect, it } from 'vitest'
import { bodyLimitError, credentialsBanner, deliveryLabel } from './delivery.ts'

const at = 1_700_000_000_000

describe('deliveryLabel', () => {
  it('names each state in the words the thread shows', () => {
    expect(deliveryLabel({ state: 'sending', attempt: 1, at })?.text).toBe('Sending')
    expect(deliveryLabel({ state: 'sent', attempt: 1, at })?.text).toBe('Sent')
    expect(deliveryLabel({ state: 'delivered', attempt: 2, at })?.text).toBe('Delivered')
    expect(deliveryLabel({ state: 'unknown', attempt: 1, at })?.text).toBe('Unknown — check')
  })

  it('a failure gives the provider’s reason and offers Resend; so does Unknown', () => {
    const failed = deliveryLabel({
      state: 'failed',
      attempt: 1,
      at,
      reason: 'Unreachable destination handset',
    })
    expect(failed).toEqual({
      text: 'Failed — Unreachable destination handset',
      resend: true,
      tone: 'attention',
    })
    expect(deliveryLabel({ state: 'failed', attempt: 1, at })?.text).toBe('Failed')
    expect(deliveryLabel({ state: 'unknown', attempt: 1, at })?.resend).toBe(true)
    expect(deliveryLabel({ state: 'delivered', attempt: 1, at })?.resend).toBe(false)
  })

  it('an activity without a delivery (not sent through a provider) shows nothing', () => {
    expect(deliveryLabel(null)).toBeNull()
  })
})

describe('bodyLimitError', () => {
  it('refuses a reply over the number’s limit, naming the limit', () => {
    expect(bodyLimitError('x'.repeat(1601), 1600)).toBe(
      'Too long (1,601 characters): 1,600 characters at most for this number.',
    )
  })

  it('takes a reply at the limit, and any reply when the number has none', () => {
    expect(bodyLimitError('x'.repeat(1600), 1600)).toBeNull()
    expect(bodyLimitError('x'.repeat(10_000), undefined)).toBeNull()
  })
})

describe('credentialsBanner', () => {
  it('names the number whose credentials the provider refused', () => {
    expect(credentialsBanner({ name: 'Front desk', providerStatus: 'credentials-rejected' })).toBe(
      "Front desk: the provider refused this number's credentials — an admin must update them",
    )
    expect(credentialsBanner({ name: 'Front desk' })).toBeNull()
  })
})
