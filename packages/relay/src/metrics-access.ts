/**
 * @module Who may read `GET /metrics` [A8]: with METRICS_TOKEN set, whoever presents it as a
 * Bearer token; without it, loopback clients only (a scraper on the same host or behind a local
 * proxy), since the figures tell an outsider how busy and how attacked the relay is.
 */
/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}

export type MetricsVerdict = 'ok' | 'token' | 'not-loopback'

export function metricsAccess(
  token: string | undefined,
  authorization: string | undefined,
  loopback: () => boolean,
): MetricsVerdict {
  if (!token) return loopback() ? 'ok' : 'not-loopback'
  const given = authorization?.startsWith('Bearer ') ? authorization.slice(7) : ''
  return sameBytes(given, token) ? 'ok' : 'token'
}

/** Compares two strings' UTF-8 bytes in time that depends on their length only. */
function sameBytes(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a)
  const y = new TextEncoder().encode(b)
  if (x.length !== y.length) return false
  let diff = 0
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!
  return diff === 0
}
