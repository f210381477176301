import { defineConfig } from '@playwright/test';
import { BASE_URL, DEMO01_STATE } from './support/auth';

// Chromium comes from Debian (/usr/bin/chromium); Playwright never downloads a browser here.
export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  // The whole run is bounded too (a full run takes about 2 minutes).
  globalTimeout: 30 * 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: 'list',
  use: {
    baseURL: BASE_URL,
    headless: true,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  // Every page and /api route needs a login: the setup project logs DEMO01 in through the login page
  // (the code comes from the server's outbox, under DATA_DIR) and the dashboard specs reuse its cookie.
  // The multi-user spec runs last (one worker takes the projects in this order): it checks that
  // TRADER2 never sees DEMO01's journal, which the trading spec fills. It does not depend on the
  // dashboard project, so a failure there does not hide its results.
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts$/ },
    {
      name: 'dashboard',
      testIgnore: /multi_user\.spec\.ts$/,
      dependencies: ['setup'],
      use: { storageState: DEMO01_STATE },
    },
    {
      name: 'multi-user',
      testMatch: /multi_user\.spec\.ts$/,
      dependencies: ['setup'],
      use: { storageState: DEMO01_STATE },
    },
  ],
});
