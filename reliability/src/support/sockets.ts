/** Raw `ws` sockets for the hostile-input suite and its attacker process. */
import WebSocket from 'ws'

/** Opens a socket; null when the relay refuses the upgrade or the connection fails. */
export function openSocket(url: string, maxPayload?: number): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, maxPayload === undefined ? {} : { maxPayload })
    ws.on('error', () => resolve(null))
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', () => resolve(null))
  })
}

/** The close code the socket gets within `limitMs`: -1 if already closed, null if still open. */
export const closeOf = (ws: WebSocket, limitMs: number) =>
  new Promise<number | null>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve(-1)
    const t = setTimeout(() => resolve(null), limitMs)
    ws.once('close', (code) => {
      clearTimeout(t)
      resolve(code)
    })
  })
