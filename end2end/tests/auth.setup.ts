// Logs DEMO01 in through the login page once per run and saves the cookie for every dashboard spec.
import { test as setup, expect } from '@playwright/test';
import { DEMO01, DEMO01_STATE, logInThroughPage } from '../support/auth';

setup('DEMO01 logs in with a code from the outbox', async ({ page }) => {
  await page.goto('/');
  // Anonymous: the dashboard sends us to the login page, remembering where we were going.
  await page.waitForURL((url) => url.pathname === '/login');
  await logInThroughPage(page, DEMO01);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'kta_session');
  expect(session, 'the session cookie').toBeTruthy();
  expect(session!.httpOnly).toBe(true);
  const me = await page.request.get('/auth/session');
  expect(me.status()).toBe(200);
  expect((await me.json()).user.zerodha_id).toBe(DEMO01.id);
  await page.context().storageState({ path: DEMO01_STATE });
});
