import type { WebClient } from '@slack/web-api';

/** views.update, reporting false when the view is gone (closed by the admin) instead of throwing. */
export async function updateView(client: WebClient, viewId: string, view: Parameters<WebClient['views']['update']>[0]['view']): Promise<boolean> {
  try {
    await client.views.update({ view_id: viewId, view });
    return true;
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code === 'not_found' || code === 'view_not_found') return false;
    throw error;
  }
}
