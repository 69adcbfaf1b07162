/**
 * ServiceNow's Batch API (`POST /api/now/v1/batch`) over the stand-in's own request routing.
 * As on an instance: each item's body travels Base64-encoded both ways, items run one after
 * another (never in parallel, never in one transaction), none can use another's result, and a
 * batch cut short (on an instance, by the 30 s transaction quota) answers the rest in
 * `unserviced_requests`. Tests can refuse the endpoint (an instance without it, or an ACL on
 * it) or cut batches after a number of items.
 */
import type { ParsedBody, Reply } from './http-server.js';
import { snError } from './servicenow-table-api.js';

/** One item as the Batch API takes it. */
interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Array<{ name: string; value: string }>;
  body?: string;
  exclude_response_headers?: boolean;
}

/** Routes one item as if it had come on its own, under the batch's credentials. */
export type ItemRoute = (item: { method: string; url: URL; body: ParsedBody }) => Promise<Reply>;

export interface BatchControls {
  /** The status the endpoint refuses with (e.g. 403 for an ACL, 400 where it does not exist); undefined serves batches. */
  refuseWith: number | undefined;
  /** Serve this many items of each batch, answer the rest as unserviced (the 30 s cut). */
  cutAfter: number | undefined;
}

export function batchControls(): BatchControls {
  return { refuseWith: undefined, cutAfter: undefined };
}

export async function handleBatch(controls: BatchControls, body: ParsedBody, base: string, route: ItemRoute): Promise<Reply> {
  if (controls.refuseWith !== undefined) {
    return controls.refuseWith === 403
      ? snError(403, 'User Not Authorized', 'User does not have access to the Batch API')
      : snError(controls.refuseWith, 'Requested URI does not represent any resource', null);
  }
  const items = batchItems(body);
  if (items === undefined) return snError(400, 'Exception while reading request', 'The payload is not a valid batch request.');
  const batchId = (body.data as { batch_request_id?: unknown }).batch_request_id;
  const serviced: unknown[] = [];
  const unserviced: string[] = [];
  for (const [index, item] of items.entries()) {
    if (controls.cutAfter !== undefined && index >= controls.cutAfter) {
      unserviced.push(item.id);
      continue;
    }
    const started = performance.now();
    const text = item.body === undefined ? '' : Buffer.from(item.body, 'base64').toString('utf8');
    const reply = await route({ method: item.method.toUpperCase(), url: new URL(item.url, base), body: itemBody(text) });
    const answer = reply.json === undefined ? '' : JSON.stringify(reply.json);
    serviced.push({
      id: item.id,
      status_code: reply.status,
      status_text: reply.status < 400 ? 'OK' : 'Error',
      body: Buffer.from(answer, 'utf8').toString('base64'),
      execution_time: Math.round(performance.now() - started),
      ...(item.exclude_response_headers === true ? {} : { headers: Object.entries({ 'content-type': 'application/json', ...reply.headers }).map(([name, value]) => ({ name, value })) }),
    });
  }
  return { status: 200, json: { batch_request_id: batchId, serviced_requests: serviced, unserviced_requests: unserviced } };
}

function batchItems(body: ParsedBody): BatchItem[] | undefined {
  if (body.kind !== 'json' || typeof body.data !== 'object' || body.data === null) return undefined;
  const items = (body.data as { rest_requests?: unknown }).rest_requests;
  if (!Array.isArray(items)) return undefined;
  const valid = items.every(
    (item: Partial<BatchItem> | null) => typeof item?.id === 'string' && typeof item.method === 'string' && typeof item.url === 'string' && (item.body === undefined || typeof item.body === 'string'),
  );
  return valid ? (items as BatchItem[]) : undefined;
}

function itemBody(text: string): ParsedBody {
  if (text === '') return { raw: '', data: undefined, malformedJson: false, kind: 'empty' };
  try {
    return { raw: text, data: JSON.parse(text) as unknown, malformedJson: false, kind: 'json' };
  } catch {
    return { raw: text, data: undefined, malformedJson: true, kind: 'json' };
  }
}
