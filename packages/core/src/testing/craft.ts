/**
 * @module Hand-built updates, as a hostile client would encode them: any struct, any origin, any
 * parent, any delete set, in Yjs's update format (v1), without a Y.Doc deciding for it.
 */
import * as Y from 'yjs'

export type CraftedContent =
  | { any: unknown[] }
  | { deleted: number }
  /** Text as Y.Text writes it, a formatting attribute, an embed, a nested type. */
  | { string: string }
  | { format: [string, unknown] }
  | { embed: object }
  | { type: 'text' | 'map' }

export interface CraftedItem {
  kind?: 'item'
  client: number
  clock: number
  origin?: Y.ID | null
  rightOrigin?: Y.ID | null
  /**
   * A root name, or the id of the item holding a nested type; written only when the item has
   * neither origin (Yjs's rule).
   */
  parent?: string | Y.ID
  parentSub?: string | null
  content: CraftedContent
}

export interface CraftedGC {
  kind: 'gc'
  client: number
  clock: number
  length: number
}

export type CraftedStruct = CraftedItem | CraftedGC

/** A deleted range: client, clock, length. */
export type CraftedDelete = [number, number, number]

function contentOf(c: CraftedContent): Y.Item['content'] {
  if ('any' in c) return new Y.ContentAny(c.any)
  if ('deleted' in c) return new Y.ContentDeleted(c.deleted)
  if ('string' in c) return new Y.ContentString(c.string)
  if ('format' in c) return new Y.ContentFormat(c.format[0], c.format[1] as object)
  if ('embed' in c) return new Y.ContentEmbed(c.embed)
  return new Y.ContentType(c.type === 'text' ? new Y.Text() : new Y.Map())
}

/** The clocks a crafted content takes. */
export const craftedLength = (c: CraftedContent): number => contentOf(c).getLength()

const lengthOf = (s: CraftedStruct): number =>
  s.kind === 'gc' ? s.length : craftedLength(s.content)

/**
 * Encodes `structs` (grouped by client in the order given: a client listed in two places becomes
 * two blocks, as a hostile client may send) and `deletes`.
 */
export function craftUpdate(
  structs: readonly CraftedStruct[],
  deletes: readonly CraftedDelete[] = [],
): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  // UpdateEncoderV1 writes var-uints through its delete-set methods (no lib0 import here).
  const varUint = (n: number) => encoder.writeDsClock(n)
  const blocks: CraftedStruct[][] = []
  for (const s of structs) {
    const last = blocks.at(-1)
    if (last && last[0]!.client === s.client) last.push(s)
    else blocks.push([s])
  }
  varUint(blocks.length)
  for (const block of blocks) {
    varUint(block.length)
    encoder.writeClient(block[0]!.client)
    varUint(block[0]!.clock)
    for (const s of block) {
      const id = Y.createID(s.client, s.clock)
      if (s.kind === 'gc') {
        new Y.GC(id, s.length).write(encoder, 0)
        continue
      }
      const content = contentOf(s.content)
      const origin = s.origin ?? null
      const rightOrigin = s.rightOrigin ?? null
      const parent = origin === null && rightOrigin === null ? (s.parent ?? '') : null
      new Y.Item(
        id,
        null,
        origin,
        null,
        rightOrigin,
        parent as unknown as Y.AbstractType<unknown>,
        s.parentSub ?? null,
        content,
      ).write(encoder, 0)
    }
  }
  const byClient = new Map<number, [number, number][]>()
  for (const [client, clock, len] of deletes) {
    let list = byClient.get(client)
    if (!list) byClient.set(client, (list = []))
    list.push([clock, len])
  }
  varUint(byClient.size)
  for (const [client, ranges] of byClient) {
    varUint(client)
    varUint(ranges.length)
    for (const [clock, len] of ranges) {
      encoder.writeDsClock(clock)
      encoder.writeDsLen(len)
    }
  }
  return encoder.toUint8Array()
}

/** The clock after `structs` of `client` (for building a next struct by hand). */
export function nextClock(structs: readonly CraftedStruct[], client: number, from: number): number {
  let clock = from
  for (const s of structs) if (s.client === client) clock = Math.max(clock, s.clock + lengthOf(s))
  return clock
}
