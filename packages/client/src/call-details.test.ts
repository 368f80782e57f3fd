import { afterEach, describe, expect, it } from 'vitest'
import { roomName, setCallDetails, type Activity } from '@switchboard/core'
import type { ConversationHandle } from './types.ts'
import { incoming, openClient, startRelay, until } from '../test/harness.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const waitFor = (handle: ConversationHandle, predicate: () => boolean) =>
  new Promise<void>((resolve) => {
    const off = handle.onChange(() => {
      if (predicate()) {
        off()
        resolve()
      }
    })
    if (predicate()) {
      off()
      resolve()
    }
  })

describe('a call’s details', () => {
  it('[W10] a teammate’s open thread shows a call’s summary and next steps once the relay writes them', async () => {
    const relay = await startRelay()
    cleanups.push(() => relay.stop())
    const call: Activity = { ...incoming('c1', ''), kind: 'call', durationSeconds: 60 }
    delete call.body
    await relay.ingest(call)
    const carol = await openClient(relay, 'carol@example.com')
    cleanups.push(() => carol.destroy())
    await until(carol, () => carol.inbox('pn1').get('c1') !== null)
    const thread = carol.openConversation('c1', 'pn1')
    cleanups.push(() => thread.close())
    await thread.whenLoaded
    await waitFor(thread, () => thread.activities().some((a) => a.id === call.id))
    expect(thread.callDetails(call.id)).toBeNull()
    await relay.writeRoom!(roomName.conversation('c1'), (doc) => {
      setCallDetails(
        doc,
        call.id,
        { summary: ['Order is late'], nextSteps: ['Refund'] },
        Date.now(),
      )
    })
    await waitFor(thread, () => thread.callDetails(call.id) !== null)
    expect(thread.callDetails(call.id)).toMatchObject({
      summary: ['Order is late'],
      nextSteps: ['Refund'],
    })
  })
})
