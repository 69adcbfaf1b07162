import { z } from 'zod';

/**
 * The wire format of ServiceNow's Batch API (`POST /api/now/v1/batch`): several REST calls in
 * one round trip, each item's body Base64-encoded both ways. Items run one after another on the
 * instance, not in one transaction, and none can use another's result; a batch cut short (the
 * 30 s transaction quota) lists what it did not run in `unserviced_requests`.
 */
export const BATCH_PATH = '/api/now/v1/batch';

export interface BatchItem {
  /** Unique within the batch; answers come back under it. */
  id: string;
  method: 'GET';
  /** Path and query, relative to the instance: `/api/now/table/x?sysparm_query=…`. */
  url: string;
}

export interface BatchAnswer {
  status: number;
  /** The item's decoded JSON body; undefined when empty or not JSON. */
  json: unknown;
}

const batchResponse = z.object({
  serviced_requests: z.array(z.object({ id: z.string(), status_code: z.number(), body: z.string().nullish() })),
  // `unserviced_requests` is not read: any item without an answer here was not run.
});

export function batchRequestBody(batchId: string, items: readonly BatchItem[]): unknown {
  return {
    batch_request_id: batchId,
    rest_requests: items.map((item) => ({
      id: item.id,
      method: item.method,
      url: item.url,
      headers: [{ name: 'Accept', value: 'application/json' }],
      exclude_response_headers: true,
    })),
  };
}

/** Each serviced item's answer by id (an item missing was not run); undefined when the body is not a batch answer at all. */
export function batchAnswers(body: unknown): Map<string, BatchAnswer> | undefined {
  const parsed = batchResponse.safeParse(body);
  if (!parsed.success) return undefined;
  return new Map(parsed.data.serviced_requests.map((item) => [item.id, { status: item.status_code, json: decodeJson(item.body ?? '') }]));
}

function decodeJson(base64: string): unknown {
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
