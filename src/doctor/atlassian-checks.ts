import { ALLOWLIST_ENTRY, allowlistEntryProblem, isLoopbackHost } from '../core/site.js';
import { request, type Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { fail, ok, warn, type CheckResult } from './check-result.js';

export interface AtlassianCheckDeps {
  config: Config;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}

/** Atlassian: the OAuth and API hosts answer, and the site allowlist says what it means to. */
export async function atlassianChecks({ config, dispatcher, timeoutMs = 10_000 }: AtlassianCheckDeps): Promise<CheckResult[]> {
  const answers = await Promise.all([
    answersOverHttp('auth URL', 'ATLASSIAN_AUTH_URL', config.ATLASSIAN_AUTH_URL, timeoutMs, dispatcher),
    answersOverHttp('API URL', 'ATLASSIAN_API_URL', config.ATLASSIAN_API_URL, timeoutMs, dispatcher),
  ]);
  return [...answers, ...allowlistChecks(config.ATLASSIAN_SITE_ALLOWLIST, productionLooking(config))];
}

/**
 * Any HTTP answer proves the host is there (the root of auth.atlassian.com redirects, the API
 * answers 404): only a failure to get an answer at all is a problem.
 */
async function answersOverHttp(name: string, variable: string, url: string, timeoutMs: number, dispatcher: Dispatcher | undefined): Promise<CheckResult> {
  const started = performance.now();
  try {
    const response = await request(`${url}/`, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
      ...(dispatcher ? { dispatcher } : {}),
    });
    await response.body.dump();
    return ok('Atlassian', name, `${url} answered HTTP ${response.statusCode} in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    const e = error as { code?: string; name?: string; message?: string };
    return fail('Atlassian', name, `${url} did not answer: ${e.code ?? e.name ?? 'error'}${e.message ? ` (${e.message})` : ''}`, `check ${variable} and that this host can reach it (proxy, firewall, DNS)`);
  }
}

/**
 * The same pattern language as src/core/site.ts's siteAllowed: scheme://host[:port], where `*`
 * stands for one DNS label (or part of one) and `:*` for any port. Anything else never matches a
 * site, so it is a mistake rather than a policy.
 */

/**
 * A deployment that talks to a real ServiceNow instance should only reach Atlassian Cloud over
 * https; the loopback allowlists the tests and the demo use are fine next to a local instance.
 */
function productionLooking(config: Config): boolean {
  return !isLoopbackHost(new URL(config.SERVICENOW_INSTANCE_URL).hostname);
}

export function allowlistChecks(entries: readonly string[], production: boolean): CheckResult[] {
  if (entries.length === 0) {
    return [fail('Atlassian', 'site allowlist', 'ATLASSIAN_SITE_ALLOWLIST is empty: every site is refused', 'set ATLASSIAN_SITE_ALLOWLIST=https://*.atlassian.net')];
  }
  const problems: CheckResult[] = [];
  for (const entry of entries) {
    const problem = allowlistEntryProblem(entry);
    if (problem !== undefined) {
      problems.push(fail('Atlassian', 'site allowlist', `${problem} (\`*\` = one DNS label, \`:*\` = any port)`, 'fix the entry in ATLASSIAN_SITE_ALLOWLIST, e.g. https://*.atlassian.net'));
      continue;
    }
    const [, scheme = '', host = ''] = ALLOWLIST_ENTRY.exec(entry) ?? [];
    if (!production) continue;
    if (scheme.toLowerCase() === 'http') {
      problems.push(warn('Atlassian', 'site allowlist', `"${entry}" allows plain http; Atlassian Cloud sites are https only`, 'use https:// in ATLASSIAN_SITE_ALLOWLIST'));
    }
    if (!host.toLowerCase().endsWith('.atlassian.net')) {
      problems.push(warn('Atlassian', 'site allowlist', `"${entry}" allows hosts outside atlassian.net`, 'keep ATLASSIAN_SITE_ALLOWLIST to https://*.atlassian.net unless a site really lives elsewhere'));
    }
  }
  if (problems.length > 0) return problems;
  return [ok('Atlassian', 'site allowlist', `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}: ${entries.join(', ')}`)];
}
