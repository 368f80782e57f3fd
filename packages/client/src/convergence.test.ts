/**
 * Seeded randomized convergence through the whole stack: three replicas (two on file storage,
 * one restarted midway) and the real relay. Random marks, pins, assignments, incoming SMS,
 * disconnects and reconnects; then everyone reconnects and every replica must show the same
 * state for every conversation (P1), with nothing pending. On failure the seed and op log print.
 */
import { afterEach, describe, expect, it, onTestFailed } from 'vitest'
import type { Switchboard } from './types.ts'
import {
  incoming,
  openClient,
  startRelay,
  tempDir,
  until,
  type TestRelay,
} from '../test/harness.ts'

function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
  }
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const IDS = ['c1', 'c2', 'c3', 'c4']
const EMAILS = ['alice@example.com', 'bob@example.com', 'carol@example.com']

function snapshot(sb: Switchboard) {
  return IDS.map((id) => {
    const c = sb.inbox('pn1').get(id)
    return (
      c && [id, c.status, c.unread, c.pinned, c.assignee, c.decidedBy?.at ?? null, c.reopenedBy]
    )
  })
}

const seeds = process.env.SEED ? [Number(process.env.SEED)] : [1, 2]

describe('seeded convergence through the relay', () => {
  it.each(seeds)(
    '[P1] seed %i: every replica agrees after random marks, partitions and SMS',
    async (seed) => {
      const log: string[] = []
      onTestFailed(() => console.error(`seed ${seed}\n${log.join('\n')}`))
      const rnd = prng(seed)
      const relay: TestRelay = await startRelay()
      cleanups.push(() => relay.stop())
      for (const id of IDS) await relay.ingest(incoming(id, `first message on ${id}`))
      const dirs = EMAILS.map(() => tempDir())
      cleanups.push(() => dirs.forEach((d) => d.remove()))
      const open = (i: number) =>
        openClient(relay, EMAILS[i]!, { dir: dirs[i]!.dir, deviceId: `dev${i}` })
      const replicas: Switchboard[] = []
      for (let i = 0; i < EMAILS.length; i++) replicas.push(await open(i))
      cleanups.push(async () => {
        for (const r of replicas) await r.destroy()
      })
      for (const r of replicas)
        await until(r, () => r.inbox('pn1').list('all').length === IDS.length)

      for (let step = 0; step < 40; step++) {
        const i = rnd.int(replicas.length)
        const sb = replicas[i]!
        const id = rnd.pick(IDS)
        const op = rnd.pick(['mark', 'mark', 'mark', 'pin', 'assign', 'toggle', 'sms', 'restart'])
        log.push(`${step}: replica ${i} ${op} ${id}`)
        const inbox = sb.inbox('pn1')
        if (op === 'mark') {
          const kind = rnd.pick(['done', 'open', 'unread', 'read'] as const)
          log[log.length - 1] += ` ${kind}`
          if (kind === 'done') await inbox.markDone(id)
          else if (kind === 'open') await inbox.markOpen(id)
          else if (kind === 'unread') await inbox.markUnread(id)
          else await inbox.markRead(id)
        } else if (op === 'pin') {
          await (rnd.int(2) ? inbox.pin(id) : inbox.unpin(id))
        } else if (op === 'assign') {
          await inbox.assign(id, rnd.pick(['alice', 'bob', 'carol', null]))
        } else if (op === 'toggle') {
          if (sb.status === 'offline') sb.connect()
          else sb.disconnect()
        } else if (op === 'sms') {
          await relay.ingest(incoming(id, `step ${step}`))
        } else {
          const wasOnline = sb.status !== 'offline'
          await sb.destroy()
          replicas[i] = await openClient(relay, EMAILS[i]!, {
            dir: dirs[i]!.dir,
            deviceId: `dev${i}`,
            connect: wasOnline,
          })
        }
      }

      for (const r of replicas) r.connect()
      for (const r of replicas) await r.whenSynced()
      const agreed = () =>
        replicas.every(
          (r) => JSON.stringify(snapshot(r)) === JSON.stringify(snapshot(replicas[0]!)),
        )
      await until(replicas[0]!, agreed)
      for (const r of replicas) {
        expect(r.pending).toBe(0)
        expect(snapshot(r)).toEqual(snapshot(replicas[0]!))
      }
    },
  )
})
