/** @module The ids this replica writes with: its device id and the Yjs client ids of its docs. */

/** A fresh device id: one per tab or process, so two never write as one writer (P2). */
export function newDeviceId(prefix = 'd'): string {
  const bytes = new Uint8Array(10)
  globalThis.crypto.getRandomValues(bytes)
  return prefix + '-' + [...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')
}

/** A random Yjs client id (uint32, as Yjs draws them). */
export function randomClientId(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!
}

/** Whether `id` may be a device id: the relay binds it to a member and logs it [L1]. */
export function isDeviceId(id: string): boolean {
  return /^[A-Za-z0-9_.+\-~]{1,128}$/.test(id)
}
