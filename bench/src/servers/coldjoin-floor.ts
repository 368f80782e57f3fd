/**
 * @module The cold-join floor: a bare `ws` server that answers every sync step 1 with one step 2
 * frame of the room, encoded once at start (ROOM_FILE). No document, no storage, no auth: what
 * moving the bytes alone costs on this machine.
 */
import { readFileSync } from 'node:fs'
import { MessageType, SyncStep } from '@switchboard/protocol'
import { WebSocketServer } from 'ws'
import { syncStep2Frame } from '../wire.ts'

const frame = syncStep2Frame('y', '', new Uint8Array(readFileSync(process.env.ROOM_FILE!)))
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT) })
wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate())
  // A sync step 1 is told by its first two bytes; anything else is ignored.
  ws.on('message', (data: Buffer) => {
    if (data[0] === MessageType.Sync && data[1] === SyncStep.One) ws.send(frame)
  })
})
wss.on('listening', () => process.stdout.write('ready\n'))
