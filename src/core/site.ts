/**
 * The Atlassian site an admin types: `acme`, `acme.atlassian.net` or a full URL, normalised to
 * an origin and checked against ATLASSIAN_SITE_ALLOWLIST before anything is fetched from it
 * (the bot must never be steered at an internal host).
 */
export type SiteResult = { ok: true; origin: string } | { ok: false; reason: 'malformed' | 'not_allowed'; message: string };

const SITE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/i;

export function normaliseSite(input: string): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  let candidate = text;
  if (SITE_NAME.test(text)) candidate = `https://${text}.atlassian.net`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) candidate = `https://${text}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password) return undefined;
  if (url.pathname !== '/' && url.pathname !== '') {
    // A pasted browser URL such as https://acme.atlassian.net/wiki/home still names the site.
    if (!/^\/(wiki|jira|browse|servicedesk)(\/|$)/.test(url.pathname)) return undefined;
  }
  return url.origin;
}

/** An allowlist entry: `scheme://host[:port]`, where `*` is one DNS label and `:*` any port. */
export const ALLOWLIST_ENTRY = /^(https?):\/\/([a-z0-9*-]+(?:\.[a-z0-9*-]+)*)(?::(\d{1,5}|\*))?\/?$/i;

/** What is wrong with an allowlist entry, in a sentence with the fix; undefined when it is well formed. */
export function allowlistEntryProblem(entry: string): string | undefined {
  const match = ALLOWLIST_ENTRY.exec(entry);
  if (!match) {
    const withScheme = /^[a-z0-9*.-]+(:(\d+|\*))?$/i.test(entry) ? ` (did you mean https://${entry}?)` : '';
    return `"${entry}" is not scheme://host[:port]; it would match no site${withScheme}`;
  }
  const port = match[3];
  if (port !== undefined && port !== '*' && Number(port) > 65_535) return `"${entry}" has port ${port}, which no site can have`;
  return undefined;
}

/** `https://*.atlassian.net` matches one DNS label; `http://127.0.0.1:*` any port. */
function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/\/+$/, '').replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const body = escaped.replace(/:\*$/, ':\\d{1,5}').replace(/\*/g, '[a-z0-9-]+');
  return new RegExp(`^${body}$`, 'i');
}

/** Loopback hosts, where plain http stays on the machine. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]';
}

export function siteAllowed(origin: string, allowlist: readonly string[]): boolean {
  return allowlist.some((pattern) => patternToRegExp(pattern).test(origin));
}

export function checkSite(input: string, allowlist: readonly string[]): SiteResult {
  const origin = normaliseSite(input);
  if (!origin) {
    return { ok: false, reason: 'malformed', message: 'Give the site as acme, acme.atlassian.net or https://acme.atlassian.net.' };
  }
  if (!siteAllowed(origin, allowlist)) {
    return { ok: false, reason: 'not_allowed', message: `${origin} is not on the allowed site list (${allowlist.join(', ')}). Ask whoever runs spokebot to add it to ATLASSIAN_SITE_ALLOWLIST.` };
  }
  return { ok: true, origin };
}
