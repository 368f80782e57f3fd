// Builds the web app once so every test serves the real production bundle from the relay.
import { execFileSync } from 'node:child_process'
import { repoRoot } from './relay.ts'

export default function globalSetup(): void {
  if (process.env.E2E_SKIP_BUILD === '1') return
  execFileSync('pnpm', ['--filter', '@switchboard/web', 'build'], {
    cwd: repoRoot,
    stdio: 'inherit',
  })
}
