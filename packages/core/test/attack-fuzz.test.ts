/**
 * [M8] Adversarial fuzz of update admission: a hostile member's arbitrary struct sequences
 * (random keys of every root, unknown roots, stripped or forged delete sets, deleted content,
 * GC structs, overlapping clock ranges, origins into others' items, huge clocks) across every
 * room kind, among honest writers. Seeds are printed with every failure.
 */
import { describe, expect, it } from 'vitest'
import { AttackRoomKinds, runAttackFuzz } from '../src/testing/index.ts'

const SEEDS = [1, 2, 3, 4]
const PER_SEED = 5_000

describe('[M8] adversarial fuzz', () => {
  for (const kind of AttackRoomKinds)
    it(`[M8] ${SEEDS.length} seeds × ${PER_SEED} crafted updates to a ${kind} room: no value of another writer or of a relay-only root changes; live, logged and snapshot replicas agree; honest writers are never refused`, () => {
      let tried = 0
      let accepted = 0
      for (const seed of SEEDS) {
        const r = runAttackFuzz({ seed, kind, updates: PER_SEED })
        expect(r.violations, `seed ${seed}`).toEqual([])
        expect(r.tripped, `seed ${seed}`).toEqual([])
        expect(r.honestRefused, `seed ${seed}`).toEqual([])
        tried += r.tried
        accepted += r.accepted
      }
      expect(tried).toBe(SEEDS.length * PER_SEED)
      // The fuzz must reach Yjs, not only the refusals.
      if (kind !== 'workspace') expect(accepted).toBeGreaterThan(tried / 20)
      console.log(`attack fuzz ${kind}: ${tried} tried, ${accepted} accepted`)
    }, 300_000)
})
