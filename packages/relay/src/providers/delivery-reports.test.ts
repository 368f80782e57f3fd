/**
 * [O8] The providers' delivery reports as the relay reads them, from payloads shaped as their
 * documentation shows (Twilio's status callback, Telnyx's message.sent / message.finalized from
 * https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks, Quo's
 * message.delivered from https://www.quo.com/docs/mdx/guides/webhooks).
 */
import { describe, expect, it } from 'vitest'
import { quoReport, telnyxReport, twilioReport } from './delivery-reports.ts'
import { statusCallback } from './fixtures/twilio-send.ts'

const telnyxEvent = (eventType: string, status: string, errors: unknown[] = []) => ({
  data: {
    event_type: eventType,
    id: 'b301ed3f-1490-491f-995f-6e64e69674d4',
    occurred_at: '2024-01-01T00:00:01.000+00:00',
    payload: {
      direction: 'outbound',
      errors,
      from: { carrier: 'Telnyx', line_type: 'VoIP', phone_number: '+14155550100' },
      id: '4031938b-8cae-4ef0-b2ae-e5ab6ab6c9fe',
      to: [
        {
          carrier: 'T-MOBILE USA, INC.',
          line_type: 'Wireless',
          phone_number: '+14155550199',
          status,
        },
      ],
      text: 'On our way',
      type: 'SMS',
    },
    record_type: 'event',
  },
  meta: { attempt: 1, delivered_to: 'https://relay.example.com/api/webhooks/telnyx/pn-t' },
})

describe('[O8] delivery reports', () => {
  it('[O8] Twilio: MessageStatus to a state, a failure with its ErrorCode, an inbound status is none', () => {
    expect(twilioReport(new URLSearchParams(statusCallback('SM1', 'sent')))).toEqual({
      providerMessageId: 'SM1',
      state: 'sent',
    })
    expect(twilioReport(new URLSearchParams(statusCallback('SM1', 'delivered')))).toMatchObject({
      state: 'delivered',
    })
    expect(
      twilioReport(
        new URLSearchParams(statusCallback('SM1', 'undelivered', { ErrorCode: '30003' })),
      ),
    ).toEqual({
      providerMessageId: 'SM1',
      state: 'failed',
      reason: 'undelivered — Twilio error 30003',
    })
    expect(twilioReport(new URLSearchParams(statusCallback('SM1', 'received')))).toBeNull()
  })

  it('[O8] Telnyx: message.sent is Sent; message.finalized is Delivered or Failed by to[0].status', () => {
    const id = '4031938b-8cae-4ef0-b2ae-e5ab6ab6c9fe'
    expect(telnyxReport(telnyxEvent('message.sent', 'sent'))).toEqual({
      providerMessageId: id,
      state: 'sent',
    })
    expect(telnyxReport(telnyxEvent('message.finalized', 'delivered'))).toEqual({
      providerMessageId: id,
      state: 'delivered',
    })
    expect(
      telnyxReport(
        telnyxEvent('message.finalized', 'delivery_failed', [
          { code: '40008', title: 'Undeliverable', detail: 'The message could not be delivered.' },
        ]),
      ),
    ).toEqual({
      providerMessageId: id,
      state: 'failed',
      reason: 'The message could not be delivered. (Telnyx error 40008)',
    })
    expect(telnyxReport(telnyxEvent('message.received', 'webhook_delivered'))).toBeNull()
  })

  it('[O8] Quo: message.delivered (app and API envelopes) is Delivered; other events are none', () => {
    const object = { id: 'AC0001', direction: 'outgoing', status: 'delivered' }
    expect(quoReport({ type: 'message.delivered', data: { object } })).toEqual({
      providerMessageId: 'AC0001',
      state: 'delivered',
    })
    expect(quoReport({ type: 'message.delivered', data: { resource: object } })).toMatchObject({
      state: 'delivered',
    })
    expect(quoReport({ type: 'message.received', data: { object } })).toBeNull()
  })
})
