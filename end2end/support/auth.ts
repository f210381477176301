// Logging in the way a person does: the login page, a code from the mail, the dashboard. The server
// runs without SMTP, so each login mail is an .eml file in <DATA_DIR>/outbox (DATA_DIR is the
// server's own data dir, passed in by scripts/test.sh or end2end/run.sh).
import { expect, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

export interface Trader {
  id: string;
  email: string;
}

/** The sandbox's demo user, registered by the server itself in sandbox mode. */
export const DEMO01: Trader = { id: 'DEMO01', email: 'demo@sandbox.local' };
/** Registered with `kite-agent users add` before the server starts; no Kite session until connected. */
export const TRADER2: Trader = { id: 'TRADER2', email: 'trader2@sandbox.local' };

/** The dashboard under test (the server's redirect URL for Kite logins names 127.0.0.1, so use it too). */
export const BASE_URL = process.env.BASE_URL ?? 'http://127.0.0.1:5000';

/** DEMO01's cookies, saved by auth.setup.ts and used by every dashboard spec. */
export const DEMO01_STATE = path.join(__dirname, '..', '.auth', 'demo01.json');

/** A context with no cookies at all (config-level storageState would otherwise apply). */
export const ANONYMOUS = { cookies: [], origins: [] };

export function outboxDir(): string {
  const dataDir = process.env.DATA_DIR;
  if (!dataDir) {
    throw new Error('DATA_DIR is not set: it must be the server\'s data dir (scripts/test.sh and end2end/run.sh pass it)');
  }
  return path.join(dataDir, 'outbox');
}

/** The .eml files in the outbox now: a later mail is one not in this set. */
export function outboxSnapshot(): Set<string> {
  const dir = outboxDir();
  if (!fs.existsSync(dir)) return new Set();
  return new Set(fs.readdirSync(dir).filter((f) => f.endsWith('.eml')));
}

/** Mails that arrived since `before`, newest first, with their text. */
function newMails(before: Set<string>): Array<{ file: string; text: string }> {
  const dir = outboxDir();
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.eml') && !before.has(f))
    .map((f) => ({ file: f, mtime: fs.statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)
    // The body is quoted-printable: join its soft line breaks ("=" at a line's end).
    .map(({ file }) => ({ file, text: fs.readFileSync(path.join(dir, file), 'utf8').replace(/=\r?\n/g, '') }));
}

/** New mails since `before` that mention `text` (an ID), newest first; none is a valid answer. */
export function mailsMentioning(before: Set<string>, text: string): string[] {
  return newMails(before).filter((m) => m.text.includes(text)).map((m) => m.file);
}

/**
 * The six-digit code of the newest login mail for `zerodhaId` that arrived since `before`. The code
 * is mailed after the request's reply (so the reply says nothing about the ID), hence the wait.
 */
export async function codeFromOutbox(zerodhaId: string, before: Set<string>, timeoutMs = 15_000): Promise<string> {
  let code = '';
  await expect.poll(() => {
    const mail = newMails(before).find((m) => m.text.includes(`code for ${zerodhaId} is`));
    const found = mail && /^[ \t]*(\d{6})[ \t]*\r?$/m.exec(mail.text);
    code = found ? found[1] : '';
    return code;
  }, { message: `a login mail for ${zerodhaId} in ${outboxDir()}`, timeout: timeoutMs }).toMatch(/^\d{6}$/);
  return code;
}

/** Fills step one of /login (ID and email) and has a code sent; the page is then on step two. */
export async function requestCode(page: Page, id: string, email: string): Promise<string> {
  await page.getByTestId('login-id').fill(id);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-send').click();
  const message = page.getByTestId('login-message');
  await expect(message).toBeVisible();
  await expect(page.getByTestId('login-code')).toBeVisible();
  return (await message.textContent()) ?? '';
}

/** Logs `who` in through /login and lands on the dashboard with the user menu showing them. */
export async function logInThroughPage(page: Page, who: Trader) {
  await page.goto('/login');
  const before = outboxSnapshot();
  await requestCode(page, who.id, who.email);
  const code = await codeFromOutbox(who.id, before);
  await page.getByTestId('login-code').fill(code);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => url.pathname === '/', { timeout: 20_000 });
  await expect(page.getByTestId('user-id')).toHaveText(who.id, { timeout: 20_000 });
}
