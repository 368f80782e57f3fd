/**
 * @module Workload 7, writer churn: starts Switchboard as users run it and drives
 * `load/churn.ts` against it (the room's history grown to each size of writer ids through the
 * relay, then marks/s through the relay, through plain Yjs, and by a client; then again after the
 * relay's epoch).
 */
import { startChild } from './child.ts'
import { startServer } from './servers.ts'
import { ServerKind } from './target.ts'

export interface ChurnProfile {
  /** Writer ids in the room's history, ascending (the history grows from one to the next). */
  sizes: number[]
  /** Marks measured at each size (fewer where plain Yjs pays most per mark). */
  marks: number[]
  afterEpochMarks: number
  /** Updates in flight on the relay socket. */
  window: number
}

export interface ChurnPoint {
  writers: number
  docIds: number
  marks: number
  relayPerS: number
  relayAckP50: number
  relayAckP99: number
  plainYjsPerS: number
  clientPerS: number
}

export interface ChurnResults {
  points: ChurnPoint[]
  afterEpoch: ChurnPoint
  epochMs: number
  seedMs: number
}

export async function churn(
  p: ChurnProfile,
  log: (...args: unknown[]) => void,
): Promise<{ result: ChurnResults | null; errors: string[] }> {
  let server
  try {
    server = await startServer(ServerKind.Switchboard)
  } catch (err) {
    return { result: null, errors: [`churn: switchboard unavailable: ${(err as Error).message}`] }
  }
  const load = await startChild('load/churn.ts')
  try {
    const result = await load.call<ChurnResults>(
      { cmd: 'run', target: server.target({ ack: true }), ...p },
      900_000,
    )
    for (const x of [...result.points, result.afterEpoch])
      log(
        'churn',
        x === result.afterEpoch ? 'after epoch' : x.writers,
        `relay ${x.relayPerS}/s plain Yjs ${x.plainYjsPerS}/s client ${x.clientPerS}/s`,
      )
    return { result, errors: [] }
  } catch (err) {
    return { result: null, errors: [`churn: ${(err as Error).message.slice(0, 300)}`] }
  } finally {
    load.kill()
    await server.stop()
  }
}
