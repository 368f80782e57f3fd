/**
 * @module The relay link's authentication: a key derived from `SWITCHBOARD_SECRET` by HKDF under
 * a label of its own (relays sharing a database and secret agree on it; it signs nothing else),
 * and an upgrade signed with it over the calling relay's id, the time and a nonce. A signature
 * older than `maxAgeMs`, from the future by as much, or seen before is refused.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'

/** Where a relay accepts links from other relays; never a client's route. */
export const LINK_PATH = '/internal/link'

/** The HKDF label of the link key; another purpose must use another label. */
export const LINK_KEY_PURPOSE = 'switchboard relay link v1'

export const LinkHeader = {
  relay: 'x-switchboard-relay',
  time: 'x-switchboard-link-time',
  nonce: 'x-switchboard-link-nonce',
  signature: 'x-switchboard-link-signature',
} as const

/** The link key of relays sharing `secret`. */
export function deriveLinkKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), LINK_KEY_PURPOSE, 32))
}

const mac = (key: Uint8Array, relayId: string, at: string, nonce: string) =>
  createHmac('sha256', key).update(`${relayId}\n${at}\n${nonce}`).digest()

/** The headers of a link upgrade from `relayId`, signed now. */
export function signLinkHeaders(
  key: Uint8Array,
  relayId: string,
  now: number,
): Record<string, string> {
  const at = String(now)
  const nonce = randomBytes(12).toString('base64url')
  return {
    [LinkHeader.relay]: relayId,
    [LinkHeader.time]: at,
    [LinkHeader.nonce]: nonce,
    [LinkHeader.signature]: mac(key, relayId, at, nonce).toString('base64url'),
  }
}

export type LinkCheck = { ok: true; relayId: string } | { ok: false; reason: string }

/** Checks link upgrades' signatures; each signature is accepted once. */
export function createLinkVerifier(
  key: Uint8Array,
  now: () => number,
  maxAgeMs = 30_000,
): (header: (name: string) => string | undefined) => LinkCheck {
  /** Signatures accepted within the window, with when they leave it. */
  const seen = new Map<string, number>()
  return (header) => {
    const relayId = header(LinkHeader.relay)
    const at = header(LinkHeader.time)
    const nonce = header(LinkHeader.nonce)
    const signature = header(LinkHeader.signature)
    if (!relayId || !at || !nonce || !signature) return { ok: false, reason: 'unsigned' }
    const t = now()
    for (const [sig, until] of seen) if (until < t) seen.delete(sig)
    const time = Number(at)
    if (!/^\d{1,16}$/.test(at) || Math.abs(t - time) > maxAgeMs)
      return { ok: false, reason: 'expired' }
    const given = Buffer.from(signature, 'base64url')
    const want = mac(key, relayId, at, nonce)
    if (given.byteLength !== want.byteLength || !timingSafeEqual(given, want))
      return { ok: false, reason: 'bad-signature' }
    if (seen.has(signature)) return { ok: false, reason: 'replayed' }
    seen.set(signature, time + maxAgeMs)
    return { ok: true, relayId }
  }
}
