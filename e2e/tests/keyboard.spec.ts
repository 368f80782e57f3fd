// Scenario 5 (issue 6): the inbox by keyboard alone — each shortcut changes what the screen shows.
import { expect, test, type Page } from '@playwright/test'
import {
  UNREAD,
  conversations,
  deliver,
  incomingSms,
  openInbox,
  row,
  screenshot,
  showView,
  teammate,
  threadHeader,
  threadTitle,
  relayPerFile,
} from '../support/app.ts'

const relay = relayPerFile()

// Newest first in the list: A, B, C. The word "kbtest" lets a search isolate them.
const A = 'Alan Turing'
const B = 'Barbara Liskov'
const C = 'Claude Shannon'

function selected(page: Page) {
  return conversations(page).getByRole('option', { selected: true })
}

async function search(page: Page, query: string): Promise<void> {
  const box = page.getByRole('searchbox', { name: 'Search conversations' })
  await page.keyboard.press('/')
  await expect(box).toBeFocused()
  await page.keyboard.type(query)
  await page.keyboard.press('Enter')
  await expect(conversations(page)).toBeFocused()
}

test('E, U, O, arrows, j/k, Enter, /, ? and undo each do what the shortcuts promise', async ({
  browser,
}) => {
  const now = Date.now()
  await deliver(
    relay,
    ...[C, B, A].map((contactName, i) =>
      incomingSms({
        conversationId: `c-e2e-kb-${contactName.split(' ')[0]!.toLowerCase()}`,
        contactName,
        body: `kbtest question ${i}`,
        at: now - 3000 + i * 1000,
      }),
    ),
  )
  const alice = await teammate(browser, relay, 'alice@example.com')
  const bob = await teammate(browser, relay, 'bob@example.com')
  const page = alice.page
  await openInbox(page)
  await openInbox(bob.page)

  // `/` searches; Enter in the search box selects the first match and returns to the list.
  await conversations(page).focus()
  await search(page, 'kbtest')
  await expect(conversations(page).getByRole('option')).toHaveCount(3)
  await expect(selected(page)).toHaveAccessibleName(new RegExp(A))

  // j/k and the arrow keys move the selection.
  await page.keyboard.press('j')
  await expect(selected(page)).toHaveAccessibleName(new RegExp(B))
  await page.keyboard.press('j')
  await expect(selected(page)).toHaveAccessibleName(new RegExp(C))
  await page.keyboard.press('k')
  await expect(selected(page)).toHaveAccessibleName(new RegExp(B))
  await page.keyboard.press('ArrowDown')
  await expect(selected(page)).toHaveAccessibleName(new RegExp(C))
  await page.keyboard.press('ArrowUp')
  await page.keyboard.press('ArrowUp')
  await expect(selected(page)).toHaveAccessibleName(new RegExp(A))

  // Enter opens the selected conversation; viewing it marks it read.
  await page.keyboard.press('Enter')
  await expect(threadTitle(page, A)).toBeVisible()
  await expect(page).toHaveURL(/\/inbox\/pn-support\/c-e2e-kb-alan/)
  await expect(row(page, A)).not.toHaveAccessibleName(UNREAD)

  // U marks it unread.
  await page.keyboard.press('u')
  await expect(row(page, A)).toHaveAccessibleName(UNREAD)
  await expect(threadHeader(page)).toContainText('Open · Unread')

  // E marks it done and the next one takes its place, in the list and in the reading pane:
  // opening it there reads it, as a click would.
  await page.keyboard.press('e')
  await expect(row(page, A)).toHaveCount(0)
  await expect(selected(page)).toHaveAccessibleName(new RegExp(B))
  await expect(threadTitle(page, B)).toBeVisible()
  await expect(page).toHaveURL(/\/inbox\/pn-support\/c-e2e-kb-barbara/)
  await expect(row(page, B)).not.toHaveAccessibleName(UNREAD)
  await expect(page.getByText(`Marked ${A} as done`)).toBeVisible()

  // Ctrl+Z undoes the Done: A is back in the inbox, unread as before. The read of B that opening
  // it made is no undo step of its own: B stays open and read.
  await page.keyboard.press('Control+z')
  await expect(page.getByText('Undone')).toBeVisible()
  await expect(row(page, A)).toBeVisible()
  await expect(row(page, A)).toHaveAccessibleName(UNREAD)
  await expect(threadTitle(page, B)).toBeVisible()
  await expect(row(page, B)).not.toHaveAccessibleName(UNREAD)

  // E on B (selected and open) opens C; then, in the Done filter, j selects B and O reopens it.
  await expect(selected(page)).toHaveAccessibleName(new RegExp(B))
  await page.keyboard.press('e')
  await expect(row(page, B)).toHaveCount(0)
  await expect(threadTitle(page, C)).toBeVisible()
  await showView(page, 'Done')
  await conversations(page).focus()
  await page.keyboard.press('j')
  await expect(selected(page)).toHaveAccessibleName(new RegExp(B))
  await page.keyboard.press('o')
  await expect(row(page, B)).toHaveCount(0)
  await expect(page.getByText(`Reopened ${B}`)).toBeVisible()
  await showView(page, 'Open')
  await expect(row(page, B)).toBeVisible()
  await expect(row(page, B)).not.toHaveAccessibleName(UNREAD)

  // ? shows the shortcuts; Escape closes them.
  await conversations(page).focus()
  await page.keyboard.press('?')
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(help).toBeVisible()
  await expect(help).toContainText('Mark as done (and select the next one)')
  await screenshot(page, 'shortcuts-help')
  await page.keyboard.press('Escape')
  await expect(help).toBeHidden()

  // The teammate's screen agrees: A Open + Unread, B Open and read, C read (Alice's pane opened it).
  await conversations(bob.page).focus()
  await search(bob.page, 'kbtest')
  await expect(conversations(bob.page).getByRole('option')).toHaveCount(3)
  await expect(row(bob.page, A)).toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, B)).not.toHaveAccessibleName(UNREAD)
  await expect(row(bob.page, C)).not.toHaveAccessibleName(UNREAD)
  await screenshot(page, 'alice-keyboard')

  await alice.context.close()
  await bob.context.close()
})
