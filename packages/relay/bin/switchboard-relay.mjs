#!/usr/bin/env node
// switchboard-relay <command>: workspace administration on DATA_DIR (see src/cli.ts).
import { register } from 'tsx/esm/api'

register()
const { runCli } = await import('../src/cli.ts')
process.exitCode = await runCli(process.argv.slice(2), process.env)
