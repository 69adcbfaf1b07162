import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentUrl, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { REPORT_CHANNEL, startWorld, type World } from '../support/world.js';

/** Debian's Chromium (`apt-get install chromium`, done by .ci/run); Playwright's own download cannot run here. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the consent hop in a real browser', () => {
  let world: World;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: run 'apt-get install chromium' (as .ci/run does) or set CHROMIUM_PATH.`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    world = await startWorld();
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it('the admin follows the consent button, accepts at Atlassian, and the bot posts "connected"', async () => {
    const consent = await setupUntilConsent(world);
    const page = await browser.newPage();
    await page.goto(consentUrl(consent));
    // ServiceNow's oauth_initiator.do sent the browser to Atlassian's consent screen.
    expect(page.url()).toContain(`${world.atlassian.authUrl}/authorize`);
    const authorize = new URL(page.url());
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${world.serviceNow.url}/oauth_redirect.do`);
    expect(authorize.searchParams.get('scope')?.split(' ')).toContain('offline_access');
    expect(await page.content()).toContain('ace:confluence');
    await Promise.all([page.waitForURL(`${world.serviceNow.url}/oauth_redirect.do**`), page.click('#accept')]);
    expect(await page.locator('#result').textContent()).toMatch(/completed successfully/i);

    const connected = await waitForMessage(world, /is connected/);
    expect(connected.args.thread_ts).toBe(consent.args.thread_ts);
    await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === REPORT_CHANNEL);
    await page.screenshot({ path: `${world.dataDir}/consent-done.png` });
  });
});
