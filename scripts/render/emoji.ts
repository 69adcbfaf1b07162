/**
 * The emoji spokebot's messages use, and a few common others, as Slack shows them: a shortcode
 * becomes its Unicode character. Debian's Chromium has no colour emoji font (only DejaVu here),
 * so the character would print as an empty box in a screenshot; each one is therefore drawn as
 * a small SVG of our own, with the character as its accessible label, and the picture is the
 * same on every machine.
 */

interface Emoji {
  char: string;
  /** The inside of a 20×20 SVG. */
  svg: string;
}

const circle = (fill: string) => `<circle cx="10" cy="10" r="8.5" fill="${fill}"/>`;
const tile = (fill: string, inner: string) => `<rect x="1.5" y="1.5" width="17" height="17" rx="3.5" fill="${fill}"/>${inner}`;
const glyph = (text: string, fill: string, size = 13, y = 15) => `<text x="10" y="${y}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-weight="700" font-size="${size}" fill="${fill}">${text}</text>`;

const BLUE_TILE = '#3b88c3';

const EMOJI: Record<string, Emoji> = {
  white_check_mark: { char: '✅', svg: tile('#77b255', '<path d="M5.5 10.5l3 3 6-7" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/>') },
  heavy_check_mark: { char: '✔️', svg: '<path d="M4 10.5l4 4 8-9" fill="none" stroke="#31373d" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>' },
  x: { char: '❌', svg: '<path d="M4.5 4.5l11 11M15.5 4.5l-11 11" stroke="#dd2e44" stroke-width="3.4" stroke-linecap="round"/>' },
  warning: { char: '⚠️', svg: '<path d="M10 2L19 17.5H1z" fill="#ffcc4d" stroke="#e6a817" stroke-width="1" stroke-linejoin="round"/><path d="M10 7v5" stroke="#231f20" stroke-width="2.2" stroke-linecap="round"/><circle cx="10" cy="14.8" r="1.2" fill="#231f20"/>' },
  large_green_circle: { char: '🟢', svg: circle('#78b159') },
  large_yellow_circle: { char: '🟡', svg: circle('#fdcb58') },
  red_circle: { char: '🔴', svg: circle('#dd2e44') },
  large_blue_circle: { char: '🔵', svg: circle('#55acee') },
  white_circle: { char: '⚪', svg: '<circle cx="10" cy="10" r="8" fill="#fff" stroke="#99aab5" stroke-width="1"/>' },
  hourglass: {
    char: '⌛',
    svg: '<path d="M5 3h10M5 17h10" stroke="#a0041e" stroke-width="2" stroke-linecap="round"/><path d="M6 3.5c0 4 4 5 4 6.5s-4 2.5-4 6.5h8c0-4-4-5-4-6.5s4-2.5 4-6.5z" fill="#ccd6dd" stroke="#8899a6" stroke-width=".8"/><path d="M7 16h6c0-2-3-3.5-3-3.5s-3 1.5-3 3.5z" fill="#ffac33"/>',
  },
  hourglass_flowing_sand: {
    char: '⏳',
    svg: '<path d="M5 3h10M5 17h10" stroke="#a0041e" stroke-width="2" stroke-linecap="round"/><path d="M6 3.5c0 4 4 5 4 6.5s-4 2.5-4 6.5h8c0-4-4-5-4-6.5s4-2.5 4-6.5z" fill="#ccd6dd" stroke="#8899a6" stroke-width=".8"/><path d="M7.2 5h5.6c-.4 2-2.8 3-2.8 4.5C10 8 7.6 7 7.2 5zM7.5 16h5c0-1.5-2.5-2.5-2.5-2.5s-2.5 1-2.5 2.5z" fill="#ffac33"/><path d="M10 10v3" stroke="#ffac33" stroke-width=".8"/>',
  },
  no_entry: { char: '⛔', svg: `${circle('#dd2e44')}<rect x="4.5" y="8.3" width="11" height="3.4" rx="1" fill="#fff"/>` },
  no_entry_sign: { char: '🚫', svg: '<circle cx="10" cy="10" r="7.5" fill="none" stroke="#dd2e44" stroke-width="2.6"/><path d="M4.8 4.8l10.4 10.4" stroke="#dd2e44" stroke-width="2.6"/>' },
  zzz: { char: '💤', svg: `${glyph('z', '#55acee', 9, 17)}<text x="13" y="10" font-family="DejaVu Sans, sans-serif" font-weight="700" font-size="11" fill="#55acee">Z</text>` },
  key: { char: '🔑', svg: '<circle cx="6" cy="13.5" r="4" fill="none" stroke="#f4900c" stroke-width="2.6"/><path d="M8.8 10.7L16.5 3M13.5 6l2.5 2.5M15.2 4.3l1.8 1.8" stroke="#f4900c" stroke-width="2.4" stroke-linecap="round"/>' },
  gear: { char: '⚙️', svg: '<circle cx="10" cy="10" r="6" fill="none" stroke="#8899a6" stroke-width="3.5" stroke-dasharray="2.6 2.1"/><circle cx="10" cy="10" r="5" fill="#8899a6"/><circle cx="10" cy="10" r="2" fill="#fff"/>' },
  arrows_counterclockwise: { char: '🔄', svg: tile(BLUE_TILE, '<path d="M14.5 7.5a5 5 0 1 0 .3 4" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/><path d="M15.5 3.8v4.4h-4.4z" fill="#fff"/>') },
  leftwards_arrow_with_hook: { char: '↩️', svg: tile(BLUE_TILE, '<path d="M7 8.5h5.5a3 3 0 0 1 0 6H9" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/><path d="M4 8.5l4-3.5v7z" fill="#fff"/>') },
  information_source: { char: 'ℹ️', svg: tile(BLUE_TILE, `<circle cx="10" cy="5.8" r="1.5" fill="#fff"/><rect x="8.7" y="8.3" width="2.6" height="7.2" rx="1" fill="#fff"/>`) },
  inbox_tray: { char: '📥', svg: '<path d="M2.5 11h4l1.5 2.5h4l1.5-2.5h4v6h-15z" fill="#8899a6"/><path d="M10 2v7.5M6.8 6.5L10 9.7l3.2-3.2" fill="none" stroke="#3b88c3" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>' },
  heavy_minus_sign: { char: '➖', svg: '<rect x="3" y="8.5" width="14" height="3" rx="1.2" fill="#31373d"/>' },
  grey_question: { char: '❔', svg: glyph('?', '#ccd6dd', 17, 17) },
  question: { char: '❓', svg: glyph('?', '#dd2e44', 17, 17) },
  eyes: { char: '👀', svg: '<ellipse cx="6" cy="10" rx="4" ry="6" fill="#fff" stroke="#8899a6"/><ellipse cx="14" cy="10" rx="4" ry="6" fill="#fff" stroke="#8899a6"/><circle cx="7" cy="11.5" r="2.2" fill="#292f33"/><circle cx="15" cy="11.5" r="2.2" fill="#292f33"/>' },
  bell: { char: '🔔', svg: '<path d="M10 2.5a5 5 0 0 0-5 5v4l-2 3h14l-2-3v-4a5 5 0 0 0-5-5z" fill="#ffac33"/><circle cx="10" cy="16.5" r="2" fill="#ffac33"/>' },
  alarm_clock: { char: '⏰', svg: '<circle cx="10" cy="11" r="7" fill="#dd2e44"/><circle cx="10" cy="11" r="5.2" fill="#fff"/><path d="M10 7.5V11l2.3 1.5" fill="none" stroke="#31373d" stroke-width="1.4" stroke-linecap="round"/><circle cx="4" cy="4.2" r="2.4" fill="#dd2e44"/><circle cx="16" cy="4.2" r="2.4" fill="#dd2e44"/>' },
  tada: { char: '🎉', svg: '<path d="M3 17.5l4-11 7 7z" fill="#ffac33"/><path d="M12 3v3M16 5l-2 2M17 9h-3" stroke="#dd2e44" stroke-width="1.6" stroke-linecap="round"/>' },
  rocket: { char: '🚀', svg: '<path d="M16.5 3.5c-5 .5-8 4-9.5 8l2.5 2.5c4-1.5 7.5-4.5 8-9.5z" fill="#ccd6dd"/><circle cx="12.5" cy="7.5" r="1.6" fill="#55acee"/><path d="M7 12l-3.5 4.5L8 13z" fill="#f4900c"/>' },
  lock: { char: '🔒', svg: '<rect x="4" y="9" width="12" height="9" rx="1.5" fill="#ffac33"/><path d="M6.5 9V6.5a3.5 3.5 0 0 1 7 0V9" fill="none" stroke="#8899a6" stroke-width="2"/>' },
  bulb: { char: '💡', svg: '<circle cx="10" cy="8" r="5.5" fill="#ffd983"/><rect x="7.5" y="13" width="5" height="4" rx="1" fill="#99aab5"/>' },
  sparkles: { char: '✨', svg: '<path d="M9 2l1.5 5 5 1.5-5 1.5L9 15l-1.5-5-5-1.5 5-1.5z" fill="#ffac33"/><path d="M15.5 12l.7 2 2 .7-2 .7-.7 2-.7-2-2-.7 2-.7z" fill="#ffcc4d"/>' },
  link: { char: '🔗', svg: '<rect x="2.5" y="7" width="9" height="6" rx="3" fill="none" stroke="#8899a6" stroke-width="2"/><rect x="8.5" y="7" width="9" height="6" rx="3" fill="none" stroke="#8899a6" stroke-width="2"/>' },
};
/** Slack also takes the shortcode with a skin tone or the variant spelling; the drawing is the same. */
const ALIASES: Record<string, string> = { heavy_check: 'heavy_check_mark', check: 'heavy_check_mark', hourglass_done: 'hourglass', green_circle: 'large_green_circle', yellow_circle: 'large_yellow_circle' };

/** The emoji as an inline picture, or undefined for a shortcode we do not draw (Slack then shows the shortcode). */
export function emojiHtml(name: string): string | undefined {
  const emoji = EMOJI[ALIASES[name] ?? name];
  if (!emoji) return undefined;
  return `<svg class="emoji" role="img" aria-label="${emoji.char}" viewBox="0 0 20 20" width="20" height="20"><title>:${name}:</title>${emoji.svg}</svg>`;
}
