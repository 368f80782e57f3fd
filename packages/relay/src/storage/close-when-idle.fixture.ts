/**
 * @module A program for sqlite-group-commit.test.ts: stores one update and a snapshot, waits for the
 * writer thread and builder to go idle, closes the store and prints `closed` — in a process with
 * nothing else to run, so a close() that waits on an idle thread would end it first (exit 13).
 */
import * as Y from 'yjs'
import { createSqliteStorage } from './sqlite.ts'

const path = process.argv[2]
if (!path) throw new Error('usage: close-when-idle.fixture.ts <database path>')
const doc = new Y.Doc()
doc.getMap('m').set('a', 1)
const storage = createSqliteStorage({ path, inlineAfterQuietMs: Infinity })
const id = await storage.appendUpdate('inbox:a', Y.encodeStateAsUpdate(doc))
await storage.buildSnapshot!('inbox:a', id)
await new Promise((r) => setTimeout(r, 50))
await storage.close()
console.log('closed')
