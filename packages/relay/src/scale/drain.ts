/**
 * @module A relay on PostgreSQL giving its rooms up (docs/scale-out.md "Lost leases and drains"):
 * when its lease may have lapsed (it stops serving until a renewal works), and on SIGTERM (it
 * drains: acks out, sockets closed, leases released, so another relay serves at once).
 */
import type { Relay } from '../relay.ts'
import type { PostgresStorage } from '../storage/postgres.ts'
import type { RelayRegistry, RelayRegistryOptions } from './relay-registry.ts'
import type { Successors } from './room-successors.ts'

type Log = (event: Record<string, unknown>) => void

export interface GiveUpDeps {
  relay: Pick<Relay, 'handoff'>
  storage: Pick<PostgresStorage, 'releaseClaims'>
  log: Log
}

/** The registry's `onLost` and `onRegained`: stop serving, then serve again once renewed. */
export function leaseHandlers(
  deps: GiveUpDeps,
): Pick<RelayRegistryOptions, 'onLost' | 'onRegained'> {
  const { relay, storage, log } = deps
  return {
    onLost() {
      // Claims first: a batch still queued is refused here rather than sent under the old fence.
      storage.releaseClaims()
      relay.handoff.loseLease()
      log({ level: 'error', msg: 'relay lease lost: stopped serving rooms until it renews' })
    },
    onRegained() {
      relay.handoff.regainLease()
      log({ level: 'info', msg: 'relay lease renewed: serving rooms again' })
    },
  }
}

/**
 * SIGTERM: marks the relay draining and drains its rooms (room-handoff.ts), setting its heartbeat
 * to the epoch before their sockets close, so the next socket for one of its rooms, at any relay,
 * is served by a relay that claims it with a new fence instead of waiting out `LEASE_MS`; then
 * gives the claims up (a write after the drain is refused here).
 */
export async function drainRelay(
  deps: Omit<GiveUpDeps, 'relay'> & {
    relay: Pick<Relay, 'handoff' | 'loadedRooms'>
    registry: Pick<RelayRegistry, 'drain' | 'stop'>
    successors?: Successors
  },
): Promise<void> {
  const { relay, storage, registry, successors, log } = deps
  const started = performance.now()
  // Recorded while the rooms' last writes are stored (one round trip less before the sockets
  // close); the release still waits for it, so no relay picks this one once its rooms are free.
  const marked = registry
    .drain()
    .catch((err: unknown) => log({ level: 'warn', msg: 'drain not recorded', err: String(err) }))
  // Successors are chosen among the relays not draining, this one now marked so.
  if (successors) void marked.then(() => successors.choose(relay.loadedRooms()))
  const rooms = await relay.handoff.drain(
    async () => {
      await marked
      await registry.stop()
    },
    successors && ((names) => void successors.handOff(names)),
  )
  storage.releaseClaims()
  log({ level: 'info', msg: 'relay drained', rooms, ms: Math.round(performance.now() - started) })
}
