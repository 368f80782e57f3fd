/** @module The reference y-websocket server (`@y/websocket-server`), in memory, as its README runs it. */
import http from 'node:http'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

const wss = new WebSocketServer({ noServer: true })
const server = http.createServer((_req, res) => res.end('okay'))
wss.on('connection', setupWSConnection)
server.on('upgrade', (req, socket, head) =>
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
)
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'))
