import { describe, expect, it } from 'vitest'
import type { Activity, IngestResult } from '@switchboard/core'
import { takeIn } from './provider-webhook.ts'

const NOW = 1_780_000_000_000
const activity: Activity = {
  id: 'twilio-msg-SM1',
  conversationId: 'pc-x',
  phoneNumberId: 'pn-a',
  direction: 'incoming',
  kind: 'message',
  from: '+14155550199',
  to: '+14155550142',
  at: NOW,
  body: 'hi',
}

function recorder() {
  const taken: Activity[] = []
  const ingest = async (a: Activity): Promise<IngestResult> => {
    taken.push(a)
    return { created: true, duplicate: false, reopened: false }
  }
  return { taken, ingest }
}

describe('taking a parsed event in', () => {
  it('[W8] a provider time far ahead of the relay clock becomes the relay time; an old one stays', async () => {
    const { taken, ingest } = recorder()
    await takeIn({ ok: true, activity: { ...activity, at: NOW + 6 * 60_000 } }, ingest, NOW)
    await takeIn(
      { ok: true, activity: { ...activity, id: 'b', at: NOW - 86_400_000 } },
      ingest,
      NOW,
    )
    expect(taken.map((a) => a.at)).toEqual([NOW, NOW - 86_400_000])
  })

  it('[W7] malformed is 400 naming the field, ignored is 200, neither ingested', async () => {
    const { taken, ingest } = recorder()
    expect(
      await takeIn({ ok: false, error: 'From is required', field: 'From' }, ingest, NOW),
    ).toEqual({ status: 400, body: { error: 'From is required', field: 'From' } })
    expect(await takeIn({ ok: true, activity: null, ignored: "event 'x'" }, ingest, NOW)).toEqual({
      status: 200,
      body: { ignored: "event 'x'" },
    })
    const tooLong = { ...activity, from: '+1'.padEnd(70, '5') }
    expect(await takeIn({ ok: true, activity: tooLong }, ingest, NOW)).toMatchObject({
      status: 400,
      body: { field: 'from' },
    })
    expect(taken).toEqual([])
  })
})
