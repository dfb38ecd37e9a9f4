import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Page } from '@playwright/test';
import { appUrl, expect, signIn, test } from './support/app';

/**
 * A page from another origin, in the same Chromium where the user is signed in to the app, tries
 * what an attacker's page would: open the host's WebSocket, read /health, post an upload. All of
 * it fails; the app's own page keeps working in that same browser.
 */

interface Attempt {
  ws: string;
  wsMessages: number;
  health: string;
  upload: string;
}

let attacker: Server;
let attackerPort: number;
const target = new URL(appUrl()).host;

test.beforeAll(async () => {
  // The attacker's site: an empty page of its own on another loopback address and port.
  attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>attacker</title><p>nothing to see</p>'));
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.2', () => resolve()));
  attackerPort = (attacker.address() as AddressInfo).port;
});
test.afterAll(async () => {
  await new Promise<void>((resolve) => attacker?.close(() => resolve()));
});

/** Runs the attack from `page` (on the attacker's origin) against the host at `host`. */
async function attack(page: Page, host: string): Promise<Attempt> {
  return page.evaluate(async (h) => {
    const out = { ws: 'pending', wsMessages: 0, health: 'pending', upload: 'pending' };
    const ws = new WebSocket(`ws://${h}/ws`);
    const wsDone = new Promise<void>((resolve) => {
      ws.onopen = () => (out.ws = 'open');
      ws.onmessage = () => out.wsMessages++;
      ws.onclose = (e) => {
        out.ws = `${out.ws === 'open' ? 'opened, then ' : ''}closed ${e.code}`;
        resolve();
      };
    });
    const health = fetch(`http://${h}/health`, { credentials: 'include' })
      .then((r) => r.text())
      .then((t) => void (out.health = t), (e: Error) => void (out.health = `failed: ${e.name}`));
    // Sent without CORS (an image or a no-cors fetch can do that): the page cannot read it, the host still must refuse it.
    const blind = fetch(`http://${h}/health?blind`, { mode: 'no-cors', credentials: 'include' }).catch(() => undefined);
    // A "simple" cross-origin POST is sent without a preflight: only the host can refuse it.
    const upload = fetch(`http://${h}/upload?name=x.mjs`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: 'export default 1' })
      .then(() => void (out.upload = 'sent (opaque)'), (e: Error) => void (out.upload = `failed: ${e.name}`));
    await Promise.all([wsDone, health, upload, blind]);
    return out;
  }, host);
}

/** What the host answered each of the page's requests to it (Playwright sees statuses the page cannot). */
function hostStatuses(page: Page, host: string): Map<string, number> {
  const seen = new Map<string, number>();
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.host === host) seen.set(url.pathname, response.status());
  });

  return seen;
}

async function appWorks(page: Page): Promise<void> {
  await page.goto(appUrl());
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByTestId('db-foot').getByText('Host connected')).toBeVisible();
}

test("a page from another site (127.0.0.2) cannot use the host; the app's own page can", async ({ page }) => {
  await signIn(page.context());
  const statuses = hostStatuses(page, target);
  await page.goto(`http://127.0.0.2:${attackerPort}/`);
  const result = await attack(page, target);
  expect(result.ws, 'the WebSocket never opens').toMatch(/^closed/);
  expect(result.wsMessages).toBe(0);
  expect(result.health).toMatch(/^failed/);
  expect(result.upload).not.toBe('pending');
  expect(statuses.get('/health'), 'host refuses /health').toBe(403);
  expect(statuses.get('/upload'), 'host refuses /upload').toBe(403);
  await appWorks(page);
});

test('a page on the same host name but another port, and a DNS-rebinding name, are refused', async () => {
  // Chromium with two names mapped to 127.0.0.1: "rebind.test" stands for an attacker's DNS name
  // that now resolves to loopback; "127.0.0.1:<attacker port>" is a same-site page whose requests carry the cookie.
  const sameSite = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>same site</title>'));
  await new Promise<void>((resolve) => sameSite.listen(0, '127.0.0.1', () => resolve()));
  const sameSitePort = (sameSite.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP rebind.test 127.0.0.1'],
  });
  try {
    const context = await browser.newContext();
    await signIn(context);
    const page = await context.newPage();
    const port = new URL(appUrl()).port;

    const statuses = hostStatuses(page, target);
    await page.goto(`http://127.0.0.1:${sameSitePort}/`);
    const sameSiteResult = await attack(page, target);
    expect(sameSiteResult.ws).toMatch(/^closed/);
    expect(sameSiteResult.wsMessages).toBe(0);
    expect(sameSiteResult.health).toMatch(/^failed/);
    expect(statuses.get('/health')).toBe(403);
    expect(statuses.get('/upload')).toBe(403);

    // DNS rebinding: the attacker's name now points at the host, so its page is "same-origin" with it.
    const rebinding = hostStatuses(page, `rebind.test:${port}`);
    const response = await page.goto(`http://rebind.test:${port}/`);
    expect(response?.status()).toBe(421);
    expect(await page.content()).not.toContain('id="root"');
    const rebound = await attack(page, `rebind.test:${port}`);
    expect(rebound.ws).toMatch(/^closed/);
    expect(rebound.wsMessages).toBe(0);
    expect(rebound.health).not.toMatch(/database|epoch/);
    expect(rebinding.get('/health')).toBe(421);
    expect(rebinding.get('/upload')).toBe(421);

    await appWorks(page);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => sameSite.close(() => resolve()));
  }
});
