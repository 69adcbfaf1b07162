import { z } from 'zod';
import { AUTH_METHODS, SPOKE_IDS } from '../core/spoke-catalogue.js';

/**
 * What a modal carries between steps (`private_metadata`, at most 3000 characters). Only ids:
 * never a secret, since Slack stores the view.
 */
const setupModalMetadata = z.object({ spoke: z.enum(SPOKE_IDS), method: z.enum(AUTH_METHODS).default('oauth_3lo'), setupId: z.string().optional() });
export type SetupModalMetadata = z.output<typeof setupModalMetadata>;

export function encodeMetadata(metadata: SetupModalMetadata): string {
  return JSON.stringify(metadata);
}

export function decodeSetupMetadata(text: string): SetupModalMetadata | undefined {
  try {
    const parsed = setupModalMetadata.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
