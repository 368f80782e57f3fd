// `pnpm link-cli`: puts the `switchboard` command on PATH, as a symlink to the CLI's bin
// (packages/cli/bin/switchboard.mjs, which runs the TypeScript sources through tsx: no build).
// The directory is `--bin-dir DIR`, else $SWITCHBOARD_BIN_DIR, else ~/.local/bin. The link
// follows the checkout, so a `git pull` needs no new link; `pnpm install` must have run.
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'packages/cli/bin/switchboard.mjs')
const flag = process.argv.indexOf('--bin-dir')
const binDir = resolve(
  flag >= 0 && process.argv[flag + 1]
    ? process.argv[flag + 1]
    : (process.env.SWITCHBOARD_BIN_DIR ?? join(homedir(), '.local/bin')),
)

if (!existsSync(join(root, 'packages/cli/node_modules/tsx'))) {
  console.error('link-cli: run `pnpm install` first (the CLI runs through tsx)')
  process.exit(1)
}
mkdirSync(binDir, { recursive: true })
const link = join(binDir, 'switchboard')
// Replaces an older link (another checkout); never a file that is not a link.
if (existsSync(link) || isLink(link)) {
  if (!isLink(link)) {
    console.error(`link-cli: ${link} exists and is not a link; remove it or pass --bin-dir`)
    process.exit(1)
  }
  rmSync(link)
}
symlinkSync(target, link)
console.log(`switchboard → ${target}`)
const onPath = (process.env.PATH ?? '').split(delimiter).map((d) => resolve(d))
if (!onPath.includes(binDir))
  console.log(`${binDir} is not on PATH: add  export PATH="${binDir}:$PATH"  to your shell profile`)

function isLink(path) {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}
