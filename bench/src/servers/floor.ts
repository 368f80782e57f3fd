/** @module The floor: a bare `ws` server that forwards each frame's bytes to every other socket of its room. */
import { WebSocketServer, type WebSocket } from 'ws'

const rooms = new Map<string, Set<WebSocket>>()
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT) })
wss.on('connection', (ws, req) => {
  const name = (req.url ?? '/').split('?')[0]!
  let room = rooms.get(name)
  if (!room) rooms.set(name, (room = new Set()))
  const peers = room
  peers.add(ws)
  ws.on('error', () => ws.terminate())
  ws.on('message', (data, isBinary) => {
    for (const peer of peers) if (peer !== ws) peer.send(data, { binary: isBinary })
  })
  ws.on('close', () => peers.delete(ws))
})
wss.on('listening', () => process.stdout.write('ready\n'))
