import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SURFACE_WIDTH, blocksHtml, mrkdwnHtml, surfaceHtml, type Json, type RenderInput } from '../../scripts/render/block-kit-html.js';
import { chromiumAvailable, launchChromium, showSurface, surfacePage } from '../../scripts/render/chromium.js';
import { DIRECTORY, USERS } from '../../scripts/render/sample-workspace.js';
import { limitProblems } from '../../scripts/render/slack-limits.js';
import { buildSurfaces } from '../../scripts/render/surfaces.js';

/**
 * The surfaces `npm run render` draws (docs/surfaces/*.png): each is what the product's builders
 * make from the sample workspace, each stays inside Slack's limits (Slack refuses the whole view
 * or message otherwise), and the renderer draws every block in them.
 */
const surfaces = buildSurfaces();
const text = (t: string) => ({ type: 'plain_text', text: t });
const mrkdwn = (t: string) => ({ type: 'mrkdwn', text: t });
const option = (value: string, label = value) => ({ text: text(label), value });
const modal = (blocks: Json[], extra: Json = {}): RenderInput => ({ kind: 'modal', view: { type: 'modal', title: text('Title'), submit: text('Go'), close: text('Cancel'), blocks, ...extra } });
const message = (blocks: Json[]): RenderInput => ({ kind: 'message', blocks });
const button = (label: string, extra: Json = {}) => ({ type: 'button', action_id: 'a', text: text(label), value: 'v', ...extra });

describe('every surface an admin meets', () => {
  it('covers each spoke and method, the plan, consent, connected, alerts, reminder, request card and App Home', () => {
    const ids = surfaces.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['setup-jira-3lo', 'setup-jira-api-token', 'setup-jira-service-account', 'setup-jsm-3lo', 'setup-jsm-api-token', 'setup-confluence-3lo']));
    expect(ids).toEqual(expect.arrayContaining(['plan', 'consent', 'connected', 'alert-failing', 'reminder', 'request-card', 'home-admin']));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(surfaces.map((s) => [s.id, s] as const))('%s stays within Slack limits', (_, surface) => {
    expect(limitProblems(surface.input)).toEqual([]);
  });

  it.each(surfaces.map((s) => [s.id, s] as const))('%s is drawn without an unsupported box', (_, surface) => {
    expect(surfaceHtml(surface.input, { directory: DIRECTORY })).not.toContain('class="unsupported"');
  });
});

describe("the limit check finds each of Slack's limits", () => {
  const cases: [string, RenderInput, string][] = [
    ['modal title 24', modal([], { title: text('x'.repeat(25)) }), 'title: modal title is 25'],
    ['modal submit 24', modal([], { submit: text('x'.repeat(25)) }), 'submit: modal submit is 25'],
    ['modal close 24', modal([], { close: text('x'.repeat(25)) }), 'close: modal close is 25'],
    ['private_metadata 3000', modal([], { private_metadata: 'x'.repeat(3001) }), 'private_metadata: private_metadata is 3001'],
    ['message blocks 50', message(Array.from({ length: 51 }, () => ({ type: 'divider' }))), 'blocks: message blocks is 51'],
    ['modal blocks 100', modal(Array.from({ length: 101 }, () => ({ type: 'divider' }))), 'blocks: modal blocks is 101'],
    ['home blocks 100', { kind: 'home', view: { type: 'home', blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })) } }, 'blocks: home blocks is 101'],
    ['section text 3000', message([{ type: 'section', text: mrkdwn('x'.repeat(3001)) }]), 'blocks[0].text: section text is 3001'],
    ['header 150', message([{ type: 'header', text: text('x'.repeat(151)) }]), 'blocks[0].text: header text is 151'],
    ['fields 10', message([{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) }]), 'blocks[0].fields: fields is 11'],
    ['field text 2000', message([{ type: 'section', fields: [mrkdwn('x'.repeat(2001))] }]), 'blocks[0].fields[0]: field text is 2001'],
    ['context elements 10', message([{ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) }]), 'blocks[0].elements: context elements is 11'],
    ['block_id 255', message([{ type: 'divider', block_id: 'b'.repeat(256) }]), 'blocks[0].block_id: block_id is 256'],
    ['action_id 255', message([{ type: 'actions', elements: [button('ok', { action_id: 'a'.repeat(256) })] }]), 'blocks[0].elements[0].action_id: action_id is 256'],
    ['actions elements 25', message([{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`b${i}`)) }]), 'blocks[0].elements: actions elements is 26'],
    ['button text 75', message([{ type: 'actions', elements: [button('x'.repeat(76))] }]), 'blocks[0].elements[0].text: button text is 76'],
    ['option text 75', message([{ type: 'section', text: mrkdwn('s'), accessory: { type: 'static_select', action_id: 's', options: [option('v', 'x'.repeat(76))] } }]), 'blocks[0].accessory.options[0].text: option text is 76'],
    ['option value 150', message([{ type: 'actions', elements: [{ type: 'static_select', action_id: 's', options: [option('v'.repeat(151), 'label')] }] }]), 'blocks[0].elements[0].options[0].value: option value is 151'],
    ['options 100', modal([{ type: 'input', label: text('l'), element: { type: 'static_select', action_id: 's', options: Array.from({ length: 101 }, (_, i) => option(`o${i}`)) } }]), 'blocks[0].element.options: options is 101'],
    ['placeholder 150', modal([{ type: 'input', label: text('l'), element: { type: 'plain_text_input', action_id: 'i', placeholder: text('x'.repeat(151)) } }]), 'blocks[0].element.placeholder: placeholder is 151'],
    ['input label 2000', modal([{ type: 'input', label: text('x'.repeat(2001)), element: { type: 'plain_text_input', action_id: 'i' } }]), 'blocks[0].label: input label is 2001'],
  ];

  it.each(cases)('%s', (_, input, problem) => {
    const problems = limitProblems(input);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it('a surface at every limit exactly passes', () => {
    const atLimit = modal(
      [
        { type: 'header', block_id: 'b'.repeat(255), text: text('x'.repeat(150)) },
        { type: 'section', text: mrkdwn('x'.repeat(3000)), fields: Array.from({ length: 10 }, () => mrkdwn('x'.repeat(2000))) },
        { type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button('x'.repeat(75), { action_id: `${i}`.padEnd(255, 'a') })) },
        { type: 'input', label: text('x'.repeat(2000)), element: { type: 'static_select', action_id: 's', placeholder: text('x'.repeat(150)), options: Array.from({ length: 100 }, (_, i) => option(`${i}`.padEnd(150, 'v'), 'x'.repeat(75))) } },
      ],
      { title: text('x'.repeat(24)), submit: text('x'.repeat(24)), close: text('x'.repeat(24)), private_metadata: 'x'.repeat(3000) },
    );
    expect(limitProblems(atLimit)).toEqual([]);
  });
});

describe('mrkdwn as the client shows it', () => {
  const html = (t: string) => mrkdwnHtml(t, DIRECTORY);

  it('styles *bold*, _italic_, ~strike~, `code` and ```pre```, and leaves snake_case alone', () => {
    expect(html('*bold* _italic_ ~gone~')).toBe('<b>bold</b> <i>italic</i> <s>gone</s>');
    expect(html('see `oauth_entity` and oauth_entity_profile_scope')).toBe('see <code>oauth_entity</code> and oauth_entity_profile_scope');
    expect(html('before\n```\nline *1*\n```\nafter')).toBe('before<pre class="pre">line *1*</pre>after');
    expect(html('*Request #14* from _ada_')).toBe('<b>Request #14</b> from <i>ada</i>');
  });

  it('draws quotes, links, mentions and escaped entities as characters', () => {
    expect(html('> a reason\n> on two lines\nafter')).toBe('<blockquote>a reason\non two lines</blockquote>after');
    expect(html('<https://example.com/a?b=1&amp;c=2|the page>')).toBe('<a class="link" href="https://example.com/a?b=1&amp;c=2">the page</a>');
    expect(html(`by <@${USERS.ada}> in <#C08SPOKEAL> <!here>`)).toBe('by <span class="mention">@Ada Lovelace</span> in <span class="mention">#spoke-alerts</span> <span class="mention loud">@here</span>');
    // What a person typed reaches Slack escaped; it must show as typed, markup and all.
    expect(html('Support &amp; Success &lt;!channel&gt; &lt;https://evil|x&gt;')).toBe('Support &amp; Success &lt;!channel&gt; &lt;https://evil|x&gt;');
  });

  it('turns known emoji shortcodes into pictures labelled with their character and leaves others as typed', () => {
    expect(html(':white_check_mark: done')).toMatch(/^<svg class="emoji" role="img" aria-label="✅"/);
    expect(html('read:page:confluence')).toBe('read:page:confluence');
  });
});

/** One of every block and element the renderer claims to draw, and two it does not know. */
const KITCHEN_SINK: Json[] = [
  { type: 'header', text: text('Header :tada:') },
  { type: 'section', text: mrkdwn('Section with a *button*'), accessory: button('Go', { style: 'primary', confirm: { title: text('Sure?'), text: mrkdwn('It *cannot* be undone.'), confirm: text('Yes'), deny: text('No'), style: 'danger' } }) },
  { type: 'section', text: mrkdwn('Overflow'), accessory: { type: 'overflow', action_id: 'o', options: [option('a'), option('b')] } },
  { type: 'section', text: mrkdwn('Select'), accessory: { type: 'static_select', action_id: 's', options: [option('a'), option('b')], initial_option: option('b') } },
  { type: 'section', fields: [mrkdwn('*Field*\none'), mrkdwn('*Field*\ntwo')] },
  { type: 'context', elements: [{ type: 'image', image_url: 'https://example.com/i.png', alt_text: 'i' }, mrkdwn('context _text_'), text('plain')] },
  { type: 'divider' },
  {
    type: 'actions',
    elements: [
      button('Primary', { style: 'primary' }),
      button('Danger', { style: 'danger' }),
      button('Link', { url: 'https://example.com' }),
      { type: 'static_select', action_id: 's', placeholder: text('Pick'), options: [option('a')] },
      { type: 'users_select', action_id: 'u', initial_user: USERS.ada },
      { type: 'conversations_select', action_id: 'c', initial_conversation: 'C08SPOKEAL' },
      { type: 'datepicker', action_id: 'd', initial_date: '2027-01-31' },
      { type: 'teleporter', action_id: 't' },
    ],
  },
  { type: 'actions', elements: [{ type: 'radio_buttons', action_id: 'r', options: [option('a'), option('b')], initial_option: option('a') }, { type: 'checkboxes', action_id: 'x', options: [option('a'), option('b')], initial_options: [option('b')] }] },
  { type: 'input', label: text('Single'), element: { type: 'plain_text_input', action_id: 'i', placeholder: text('Type here') } },
  { type: 'input', label: text('Multi'), optional: true, hint: text('A hint'), element: { type: 'plain_text_input', action_id: 'i', multiline: true, initial_value: 'two\nlines' } },
  { type: 'input', label: text('Static'), element: { type: 'static_select', action_id: 's', options: [option('a')] } },
  { type: 'input', label: text('Multi static'), element: { type: 'multi_static_select', action_id: 's', options: [option('a'), option('b')], initial_options: [option('a'), option('b')] } },
  { type: 'input', label: text('Channel'), element: { type: 'conversations_select', action_id: 'c' } },
  { type: 'input', label: text('Date'), element: { type: 'datepicker', action_id: 'd' } },
  { type: 'input', label: text('Radio'), element: { type: 'radio_buttons', action_id: 'r', options: [option('a'), option('b')] } },
  { type: 'input', label: text('Checks'), element: { type: 'checkboxes', action_id: 'x', options: [option('a', 'a long option label'), option('b')] } },
  { type: 'image', image_url: 'https://example.com/i.png', alt_text: 'a picture' },
  { type: 'hologram' },
];

describe('the renderer', () => {
  it('draws every block and element it claims to, and an unknown type as a visible box', () => {
    const drawn = blocksHtml(KITCHEN_SINK, DIRECTORY);
    expect([...drawn.matchAll(/class="unsupported">([^<]*)</g)].map((m) => m[1])).toEqual(['unsupported: teleporter', 'unsupported: hologram']);
  });

  it("marks text over Slack's limits on the picture", () => {
    const drawn = surfaceHtml(modal([], { title: text('A title longer than twenty-four') }));
    expect(drawn).toContain('<span class="limit-badge">title 31/24</span>');
  });
});

describe.skipIf(!chromiumAvailable())('the surfaces in Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await surfacePage(browser);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('every surface renders at its width, with no unsupported box and nothing spilling out of it', async () => {
    for (const surface of surfaces) {
      await showSurface(page, surface, { directory: DIRECTORY });
      const box = await page.locator('.surface').boundingBox();
      expect(box, surface.id).not.toBeNull();
      expect(box!.width, surface.id).toBe(SURFACE_WIDTH[surface.input.kind]);
      expect(box!.height, surface.id).toBeGreaterThan(60);
      expect(await page.locator('.unsupported').count(), surface.id).toBe(0);
      // A long unbroken value (a URL, a scope list) must wrap inside the surface, not run past it.
      expect(await page.evaluate("document.querySelector('.surface').scrollWidth"), surface.id).toBe(SURFACE_WIDTH[surface.input.kind]);
    }
  });

  it('an unknown type shows as a visible box in the page', async () => {
    await page.setContent(surfaceHtml(modal(KITCHEN_SINK), { directory: DIRECTORY }));
    const unknown = page.locator('.unsupported');
    expect(await unknown.count()).toBe(2);
    expect(await unknown.last().isVisible()).toBe(true);
    expect(await unknown.last().textContent()).toBe('unsupported: hologram');
  });
});
