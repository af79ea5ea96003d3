// The status page as an operator uses it, in Debian's headless Chromium: a relay on Redis with three
// destinations (one failing then fixed, one healthy, one unreachable), the emitter simulator posting
// both formats, resends, logouts and a few damaged bodies. The test logs in, sees the counters move,
// redrives dead letters, replays a time range, and takes a screenshot: into docs/status-page.png
// (the README's picture) with UPDATE_SCREENSHOT=1, else into a temporary file, so that a test run
// leaves the working tree as it found it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/redis-server.js';
import { ADMIN_TOKEN, SECRET, startRelay, type Relay } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = process.env.UPDATE_SCREENSHOT === '1' ? 'docs/status-page.png' : join(tmpdir(), `kcr-status-page-${process.pid}.png`);
const present = existsSync(CHROMIUM);
if (!present) console.warn(`status page test skipped: ${CHROMIUM} is absent (Debian package chromium; .ci/run installs it)`);

describe.skipIf(!present)('status page in Chromium', () => {
  let audit: Sink;
  let siem: Sink;
  let relay: Relay;
  let simulator: ChildProcess;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const startedAt = new Date();

  beforeAll(async () => {
    audit = new Sink();
    audit.behave = () => ({ status: 500 });
    siem = new Sink();
    await Promise.all([audit.start(), siem.start()]);
    const unreachable = `http://127.0.0.1:${await freePort()}/hook`;
    relay = await startRelay(
      {
        REDIS_URL: inject('redisUrl'),
        BUFFER_CAPACITY: '2000',
        DESTINATIONS: JSON.stringify([
          { name: 'audit', url: audit.url, maxAttempts: 1 },
          { name: 'siem', url: siem.url },
          { name: 'archive', url: unreachable, maxAttempts: 2, timeoutMs: 500 },
        ]),
      },
      { logout: true },
    );
    simulator = spawn(process.execPath, ['scripts/simulate.mjs'], {
      env: {
        PATH: process.env.PATH,
        RELAY_URL: relay.url,
        AUTH_SECRET: SECRET,
        SIM_RATE: '25',
        SIM_COUNT: '4000',
        SIM_DAMAGED_EVERY: '40',
      },
      stdio: 'ignore',
    });
    profile = mkdtempSync(join(tmpdir(), 'kcr-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1360, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (process.env.UPDATE_SCREENSHOT !== '1') rmSync(SCREENSHOT, { force: true });
    if (simulator && simulator.exitCode === null) {
      const exited = new Promise((r) => simulator.once('exit', r));
      simulator.kill('SIGTERM');
      await exited;
    }
    await relay?.close();
    await Promise.all([audit?.stop(), siem?.stop()]);
  });

  const text = (selector: string) => page.locator(selector).first().textContent({ timeout: 10_000 });
  const number = async (selector: string) => Number((await text(selector))?.replace(/[^\d.]/g, ''));
  const accepted = () => number('#outcomes tr[data-outcome="accepted"] td:last-child');
  const row = (name: string) => `#destinations tr[data-destination="${name}"]`;

  it('asks for the token, refuses a wrong one, then shows live counters', async () => {
    const response = await page.goto(`${relay.url}/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('#token').fill('not-the-admin-token-at-all');
    await page.locator('#login-form button').click();
    await page.locator('#login-error', { hasText: 'refused' }).waitFor();
    // The browser reports the refused requests as console errors: expected here, and only here.
    problems.length = 0;

    await page.locator('#token').fill(ADMIN_TOKEN);
    await page.locator('#login-form button').click();
    await page.locator('#outcomes tr[data-outcome="accepted"]').waitFor();
    const first = await accepted();
    await until(async () => (await accepted()) > first, 20_000, 'the accepted total moves');
    await until(async () => /\d/.test((await text('#p99')) ?? ''), 20_000, 'a p99 answer time');
    expect(await text('#buffer-fill')).toMatch(/^[\d,]+ \/ 2,000 events$/);
    await until(async () => (await number('#total-duplicate')) > 0, 20_000, 'resends counted as duplicates');
  }, 60_000);

  it('lists quarantined bodies with their code and the latest logout messages', async () => {
    await page.locator('#quarantine tbody tr', { hasText: 'KCR_ERR_FLATBUFFER' }).first().waitFor({ timeout: 30_000 });
    await page.locator('#logouts tbody tr', { hasText: 'logout' }).first().waitFor({ timeout: 30_000 });
  }, 60_000);

  it("redrives a destination's dead letters from its row, with the job shown", async () => {
    await until(async () => (await number(`${row('audit')} td.dead-letters`)) > 0, 30_000, 'dead letters for audit');
    audit.behave = () => ({ status: 200 });
    await page.locator(`${row('audit')} button.redrive`).click();
    const job = page.locator('#jobs .job', { hasText: 'redrive → audit' }).first();
    await job.locator('.job-done').waitFor({ timeout: 30_000 });
    expect(await job.locator('.job-counts').textContent()).toMatch(/[1-9]\d* delivered/);
    await until(async () => (await number(`${row('audit')} td.dead-letters`)) === 0, 30_000, 'no dead letter left for audit');
    expect(audit.delivered.length).toBeGreaterThan(0);
  }, 90_000);

  it('replays a time range to a destination, with progress', async () => {
    await page.locator('#replay-destination').selectOption('siem');
    await page.locator('#replay-from').fill(new Date(startedAt.getTime() - 60_000).toISOString());
    await page.locator('#replay-form button').click();
    const job = page.locator('#jobs .job', { hasText: 'replay → siem' }).first();
    await job.locator('.job-done').waitFor({ timeout: 30_000 });
    expect(await job.locator('.job-counts').textContent()).toMatch(/[1-9]\d* matched/);
    expect(await job.locator('progress').getAttribute('value')).not.toBe('0');
  }, 60_000);

  it('says so when the relay runs without ADMIN_TOKEN', async () => {
    const bare = await startRelay({ REDIS_URL: inject('redisUrl'), ADMIN_TOKEN: '' });
    const other = await browser.newPage();
    try {
      await other.goto(`${bare.url}/`);
      await other.locator('#token').fill('any-token-of-sixteen-chars');
      await other.locator('#login-form button').click();
      await other.locator('#problem', { hasText: 'the admin API is off' }).waitFor({ timeout: 10_000 });
    } finally {
      await other.close();
      await bare.close();
    }
  }, 30_000);

  it('shows an unreachable destination as such, and writes the screenshot', async () => {
    await until(async () => (await text(`${row('archive')} .badge`)) === 'open', 30_000, 'archive circuit open');
    // Its connection: down, with the reason of the last failed delivery beside it.
    await until(async () => (await text(`${row('archive')} td.link .badge`)) === 'down', 30_000, 'archive connection down');
    expect(await text(`${row('archive')} td.link .failure`)).toMatch(/ECONNREFUSED/);
    expect(await text(`${row('siem')} td.link .badge`)).toBe('up');
    // A dozen polls: enough history for the sparklines to show a shape in the picture.
    await until(
      async () => ((await page.locator('#spark-accepted polyline').getAttribute('points')) ?? '').split(' ').length >= 12,
      60_000,
      'a sparkline of a dozen points',
    );
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  }, 90_000);
});
