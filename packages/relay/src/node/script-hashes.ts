/**
 * @module The built web app's inline-script hashes, read from its files once at start, for the
 * Content-Security-Policy (security-headers.ts) [A7].
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** `'sha256-…'` sources for every inline `<script>` (one without `src`) of `html`. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = []
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\bsrc\s*=/i.test(m[1]!)) continue
    hashes.push(`'sha256-${createHash('sha256').update(m[2]!, 'utf8').digest('base64')}'`)
  }
  return hashes
}

/** The inline-script hashes of every HTML file under `dir` (the built web app). */
export function webAppScriptHashes(dir: string): string[] {
  const hashes = new Set<string>()
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.html')) continue
    const html = readFileSync(join(entry.parentPath, entry.name), 'utf8')
    for (const h of inlineScriptHashes(html)) hashes.add(h)
  }
  return [...hashes].sort()
}
