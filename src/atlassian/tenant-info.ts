import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { siteAllowed } from '../core/site.js';
import { SpokeError } from '../errors.js';
import type { Logger } from '../logger.js';

const tenantInfo = z.object({ cloudId: z.uuid() });

export class SiteLookupError extends SpokeError {
  readonly code = 'site_lookup_failed';
  constructor(
    readonly site: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(`no Cloud ID from ${site}`, options);
  }
}

export interface TenantInfoOptions {
  allowlist: readonly string[];
  logger: Logger;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

/**
 * Finds a site's Cloud ID through `GET {site}/_edge/tenant_info`, which Atlassian answers
 * without auth. The admin never types a Cloud ID.
 * https://support.atlassian.com/jira/kb/retrieve-my-atlassian-sites-cloud-id/
 */
export class TenantInfoClient {
  constructor(private readonly options: TenantInfoOptions) {}

  /**
   * A lookup that asks each site once for as long as it is kept (the health sweep keeps one per
   * sweep): a thousand connections on fifty sites make fifty tenant_info requests, not a thousand.
   * A failure is kept too, so a site that does not answer is not asked again by every connection
   * on it within the same sweep; the next sweep asks afresh.
   */
  cached(): (siteOrigin: string) => Promise<string> {
    const asked = new Map<string, Promise<string>>();
    return (siteOrigin) => {
      let answer = asked.get(siteOrigin);
      if (!answer) {
        answer = this.discoverCloudId(siteOrigin);
        // Kept for connections that ask later; one that never does must not be an unhandled rejection.
        answer.catch(() => undefined);
        asked.set(siteOrigin, answer);
      }
      return answer;
    };
  }

  async discoverCloudId(siteOrigin: string): Promise<string> {
    // Checked again here, not only in the modal: nothing reaches a host off the allowlist.
    if (!siteAllowed(siteOrigin, this.options.allowlist)) {
      throw new SiteLookupError(siteOrigin, `${siteOrigin} is not on ATLASSIAN_SITE_ALLOWLIST.`);
    }
    // Generous: a slow site is still better than asking the admin to type a Cloud ID.
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    let status: number;
    let body: unknown;
    try {
      // undici does not follow redirects unless told to, so a redirect cannot lead off the allowlist.
      const response = await request(`${siteOrigin}/_edge/tenant_info`, {
        method: 'GET',
        headers: { accept: 'application/json' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      status = response.statusCode;
      body = await response.body.json().catch(() => undefined);
    } catch (error) {
      this.options.logger.warn({ site: siteOrigin, err: { code: (error as { code?: string }).code } }, 'tenant_info unreachable');
      throw new SiteLookupError(siteOrigin, `${siteOrigin} did not answer. Check the site name (the part before .atlassian.net).`, { cause: error });
    }
    if (status === 404) {
      throw new SiteLookupError(siteOrigin, `${siteOrigin} is not an Atlassian Cloud site (no tenant_info). Check the spelling; renamed sites keep their old name only for a while.`);
    }
    if (status !== 200) {
      throw new SiteLookupError(siteOrigin, `${siteOrigin} answered HTTP ${status} instead of its Cloud ID. Try again in a minute; if it persists, check the site at admin.atlassian.com.`);
    }
    const parsed = tenantInfo.safeParse(body);
    if (!parsed.success) {
      throw new SiteLookupError(siteOrigin, `${siteOrigin} answered without a Cloud ID; is it an Atlassian Cloud site?`);
    }
    return parsed.data.cloudId;
  }
}
