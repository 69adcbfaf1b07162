import { z } from 'zod';
import type { RequestInput } from '../core/access-request.js';
import { REQUEST_BLOCK, SETUP_INPUT_ACTION } from './ids.js';

const value = z.object({ value: z.string().nullish(), selected_option: z.object({ value: z.string() }).nullish() }).partial();

/** The request modal's `view.state.values` as plain input; the kind comes from the form drawn. */
export function readRequestState(values: Record<string, Record<string, unknown>>, kind: string): RequestInput {
  const read = (blockId: string) => {
    const parsed = value.safeParse(values[blockId]?.[SETUP_INPUT_ACTION]);
    return parsed.success ? (parsed.data.value ?? parsed.data.selected_option?.value ?? '') : '';
  };
  return {
    kind,
    spoke: read(REQUEST_BLOCK.spoke),
    site: read(REQUEST_BLOCK.site),
    team: read(REQUEST_BLOCK.team),
    connection: read(REQUEST_BLOCK.connection),
    groups: read(REQUEST_BLOCK.groups),
    scopes: read(REQUEST_BLOCK.scopes),
    reason: read(REQUEST_BLOCK.reason),
  };
}
