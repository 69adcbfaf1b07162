/**
 * Debian's Chromium driven by playwright-core, launched the way test/e2e/consent-browser.test.ts
 * launches it (Playwright's own browser download cannot run here): headless, no sandbox (the
 * container has no user namespaces), and nothing that reaches the network on its own, so a
 * render is the same offline.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SURFACE_WIDTH, surfaceHtml, type RenderOptions } from './block-kit-html.js';
import type { Surface } from './surfaces.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page wide enough for Home and messages; device scale 1 keeps the pictures small. */
export async function surfacePage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: SURFACE_WIDTH.message + 40, height: 800 }, deviceScaleFactor: 1, javaScriptEnabled: false });
  return context.newPage();
}

/** Draws one surface into the page; the HTML is self-contained, so nothing is fetched. */
export async function showSurface(page: Page, surface: Surface, options: RenderOptions): Promise<void> {
  await page.setContent(surfaceHtml(surface.input, options), { waitUntil: 'load' });
}

/** The surface alone as PNG bytes, clipped to its own box. */
export function screenshotSurface(page: Page, path?: string): Promise<Buffer> {
  return page.locator('.surface').screenshot({ ...(path ? { path } : {}), animations: 'disabled', caret: 'hide' });
}
