import { existsSync } from 'node:fs'
import { defineConfig, devices } from '@playwright/test'

const ci = !!process.env.CI
const executablePath = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined

export default defineConfig({
  testDir: './tests',
  globalSetup: './support/global-setup.ts',
  forbidOnly: ci,
  retries: ci ? 1 : 0,
  // Every test starts its own relay and data directory, so two run side by side.
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    trace: 'on-first-retry',
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
})
