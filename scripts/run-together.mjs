#!/usr/bin/env node
// Runs root scripts side by side (the static checks are independent and each leaves a core idle
// part of the time), prints each one's output whole when it ends, and fails if any failed.
import { spawn } from 'node:child_process'

const scripts = process.argv.slice(2)
if (scripts.length === 0) {
  console.error('run-together: name the package scripts to run, e.g. lint typecheck')
  process.exit(2)
}

const started = Date.now()
const runs = scripts.map(
  (name) =>
    new Promise((done) => {
      const child = spawn('pnpm', ['run', '--silent', name], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' },
      })
      const output = []
      child.stdout.on('data', (chunk) => output.push(chunk))
      child.stderr.on('data', (chunk) => output.push(chunk))
      child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)))
      child.on('close', (code, signal) => {
        const seconds = ((Date.now() - started) / 1000).toFixed(1)
        const outcome = code === 0 ? 'passed' : `FAILED (${signal ?? `exit ${code}`})`
        process.stdout.write(`\n── ${name}: ${outcome} after ${seconds} s ──\n`)
        process.stdout.write(Buffer.concat(output))
        done(code === 0)
      })
    }),
)

const results = await Promise.all(runs)
const failed = scripts.filter((_, i) => !results[i])
if (failed.length > 0) {
  console.error(`\nrun-together: ${failed.join(', ')} failed`)
  process.exit(1)
}
