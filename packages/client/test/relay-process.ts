// Child-process entry for startRelayProcess: the relay's harness on $PORT over $DATA_DIR; the
// line it logs is the one spawnRelayProcess waits for.
import { serveRelay } from './relay.ts'

const served = await serveRelay(process.env.DATA_DIR!, Number(process.env.PORT ?? 0))
console.log(JSON.stringify({ msg: 'relay listening', url: served.url }))
