/**
 * `npm run render`: every surface an admin meets (setup modals per spoke and method, the plan,
 * consent and "connected", alerts and reminders, access requests, App Home) built by the
 * product's builders from a sample workspace, drawn as Slack's client would draw it, and saved
 * as one PNG each in docs/surfaces/ for the README. A surface over one of Slack's limits stops
 * the run: Slack would refuse it, so its picture would show something nobody can see.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumAvailable, launchChromium, screenshotSurface, showSurface, surfacePage } from './render/chromium.js';
import { DIRECTORY } from './render/sample-workspace.js';
import { limitProblems } from './render/slack-limits.js';
import { buildSurfaces } from './render/surfaces.js';

const BUDGET_BYTES = 2 * 1024 * 1024;
const OUT = fileURLToPath(new URL('../docs/surfaces/', import.meta.url));

async function main(): Promise<void> {
  if (!chromiumAvailable()) throw new Error(`No Chromium at ${CHROMIUM}: run 'apt-get install chromium' (as .ci/run does) or set CHROMIUM_PATH.`);
  const surfaces = buildSurfaces();
  const over = surfaces.flatMap((s) => limitProblems(s.input).map((p) => `${s.id}: ${p}`));
  if (over.length > 0) throw new Error(`Slack would refuse these surfaces:\n${over.join('\n')}`);

  await mkdir(OUT, { recursive: true });
  // Pictures of surfaces that no longer exist would linger in the README's folder.
  const wanted = new Set(surfaces.map((s) => `${s.id}.png`));
  for (const name of await readdir(OUT)) if (name.endsWith('.png') && !wanted.has(name)) await rm(join(OUT, name));

  const started = Date.now();
  const browser = await launchChromium();
  let total = 0;
  try {
    const page = await surfacePage(browser);
    for (const surface of surfaces) {
      const path = join(OUT, `${surface.id}.png`);
      await showSurface(page, surface, { directory: DIRECTORY });
      if ((await page.locator('.unsupported').count()) > 0) throw new Error(`${surface.id} holds a block or element the renderer does not draw`);
      await screenshotSurface(page, path);
      const { size } = await stat(path);
      total += size;
      console.log(`${`${surface.id}.png`.padEnd(36)} ${(size / 1024).toFixed(1).padStart(6)} KB  ${surface.title}`);
    }
  } finally {
    await browser.close();
  }
  console.log(`\n${surfaces.length} surfaces, ${(total / 1024).toFixed(0)} KB in all, in ${((Date.now() - started) / 1000).toFixed(1)} s → docs/surfaces/`);
  // The pictures live in the repository, so every render's weight is carried by every clone.
  if (total > BUDGET_BYTES) console.warn(`The pictures pass the ${BUDGET_BYTES / 1024 / 1024} MB budget: drop a surface or shorten one.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
