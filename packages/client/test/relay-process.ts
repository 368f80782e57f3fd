// Child-process entry for startRelayProcess: the relay's harness on $PORT over $DATA_DIR.
import { serveRelay } from './relay.ts'

const served = await serveRelay(process.env.DATA_DIR!, Number(process.env.PORT ?? 0))
process.stdout.write(`READY ${served.port}\n`)
