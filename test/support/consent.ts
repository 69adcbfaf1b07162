import { expect } from 'vitest';

/**
 * Walks ServiceNow's consent link as a browser would, with plain HTTP: oauth_initiator.do →
 * Atlassian's consent page → Accept → oauth_redirect.do. The browser test does the same in
 * Chromium; this one keeps most tests fast.
 */
export async function acceptConsentWithoutBrowser(link: string): Promise<string> {
  const toAuthorize = await fetch(link, { redirect: 'manual' });
  expect(toAuthorize.status).toBe(302);
  const authorizeUrl = new URL(toAuthorize.headers.get('location')!);
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.set(match[1]!, decodeHtml(match[2]!));
  form.set('decision', 'accept');
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1] ?? '/authorize/consent';
  const accepted = await fetch(new URL(action, authorizeUrl), { method: 'POST', body: form, redirect: 'manual' });
  expect(accepted.status).toBe(302);
  const back = await fetch(accepted.headers.get('location')!);
  return back.text();
}

function decodeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
