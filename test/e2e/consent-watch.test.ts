import { ACTION } from '../../src/slack/ids.js';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptConsentWithoutBrowser } from '../support/consent.js';
import { clickButton, consentUrl, setupUntilConsent, waitForMessage } from '../support/setup-steps.js';
import { REPORT_CHANNEL, startWorld, type World } from '../support/world.js';

let world: World;
afterEach(async () => {
  await world.close();
});

describe('watching for consent', () => {
  it('after the timeout, names the likely causes and Try again watches afresh', async () => {
    world = await startWorld({ env: { SPOKE_CONSENT_TIMEOUT: '1500ms' } });
    const consent = await setupUntilConsent(world);
    const timedOut = await waitForMessage(world, /No refresh token reached ServiceNow/);
    const text = JSON.stringify(timedOut.args.blocks);
    expect(text).toContain(`${world.serviceNow.url}/oauth_redirect.do`);
    expect(text).toContain('not enabled on the Atlassian app');
    expect(text).toContain('client secret is wrong');
    expect(timedOut.args.thread_ts).toBe(consent.args.thread_ts);

    await clickButton(world, timedOut, ACTION.retryConsent);
    const again = await world.slack.waitForCall('chat.postMessage', (c) => /One click left/.test(String(c.args.text)) && c !== consent);
    await acceptConsentWithoutBrowser(consentUrl(again));
    await waitForMessage(world, /is connected/);
  });

  it('does not report "connected" when the consent ends in a failed token exchange', async () => {
    world = await startWorld({ env: { SPOKE_CONSENT_TIMEOUT: '1500ms' } });
    const consent = await setupUntilConsent(world);
    // The Atlassian app's secret was rotated after the setup: ServiceNow's code exchange fails.
    world.atlassian.registerApp({ clientId: 'spokebot-client-id-7f3a', clientSecret: 'rotated-elsewhere', callbackUrl: `${world.serviceNow.url}/oauth_redirect.do`, scopes: ['offline_access', 'ace:confluence', 'read:page:confluence', 'search:confluence', 'read:confluence-groups', 'write:confluence-groups', 'read:confluence-user', 'read:me', 'read:account'] });
    const page = await acceptConsentWithoutBrowser(consentUrl(consent));
    expect(page).toContain('OAuth token request failed');
    await waitForMessage(world, /No refresh token reached ServiceNow/);
    expect(world.slack.calls.some((c) => /is connected/.test(String(c.args.text)))).toBe(false);
    expect(world.bot.store.getConnection('Confluence acme')).toMatchObject({ state: 'awaiting_consent' });
  });

  it('a restart of the bot keeps watching a consent that was pending', async () => {
    world = await startWorld();
    const consent = await setupUntilConsent(world);
    await world.restartBot();
    await acceptConsentWithoutBrowser(consentUrl(consent));
    const connected = await waitForMessage(world, /is connected/);
    expect(connected.args.thread_ts).toBe(consent.args.thread_ts);
    await world.slack.waitForCall('chat.postMessage', (c) => c.args.channel === REPORT_CHANNEL);
  });
});

describe('a spoke alias that already serves a connection', () => {
  it('gets a child alias named after the new connection, and the first connection is untouched', async () => {
    world = await startWorld();
    const sn = world.serviceNow;
    const shipped = sn.rows('sys_alias').find((a) => a.name === 'Confluence Cloud')!;
    const existing = sn.insert('http_connection', { name: 'Confluence (legal team)', connection_alias: shipped.sys_id!, connection_url: 'https://api.atlassian.com/', active: 'true' });
    await setupUntilConsent(world);

    const child = sn.rows('sys_alias').find((a) => a.parent === shipped.sys_id);
    expect(child).toMatchObject({ name: 'Confluence acme', type: 'connection', connection_type: 'http_connection' });
    const ours = sn.rows('http_connection').find((c) => c.name === 'Confluence acme');
    expect(ours).toMatchObject({ connection_alias: child!.sys_id });
    expect(sn.rows('http_connection').find((c) => c.sys_id === existing.sys_id)).toEqual(existing);

    // And running it again finds the child alias instead of making another.
    await setupUntilConsent(world);
    expect(sn.rows('sys_alias').filter((a) => a.parent === shipped.sys_id)).toHaveLength(1);
  });
});
