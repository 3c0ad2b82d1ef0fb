// The daily digest of outstanding requests, paged so each message stays within
// Block Kit's 50 blocks: a header, a context line and three blocks per request.
import type { DigestView, RequestView } from '../../../src/notify/port.js';
import { context, divider, esc, header, pages, type Block } from './blocks.js';
import { requestRowBlocks, type Viewer } from './request-card.js';

export const DIGEST_PAGE_SIZE = 15;

export interface DigestPage {
  text: string;
  blocks: Block[];
  /** The requests on this page, so each can be updated in place once decided. */
  requestIds: string[];
}

/** The digest as one admin sees it: their own request (if any) without decision buttons. */
export function digestPages(d: DigestView, viewer?: Viewer, pageSize = DIGEST_PAGE_SIZE): DigestPage[] {
  const total = d.requests.length;
  const chunks = pages(d.requests, pageSize);
  return chunks.map((chunk, i) => {
    const from = i * pageSize + 1;
    const to = i * pageSize + chunk.length;
    const title = chunks.length > 1 ? `Requests waiting (${from}–${to} of ${total})` : `${total} request${total === 1 ? '' : 's'} waiting`;
    return { text: `${d.orgName}: ${title.toLowerCase()} for a decision`, blocks: digestPageBlocks(d.orgName, title, chunk, viewer), requestIds: chunk.map((r) => r.requestId) };
  });
}

/** One digest page: a header, a context line and each request's rows. */
export function digestPageBlocks(orgName: string, title: string, requests: RequestView[], viewer?: Viewer): Block[] {
  const blocks: Block[] = [header(title, 'digest_header'), context([`Daily digest for ${esc(orgName)}. Decide here, or wait for the next digest.`], 'digest_context')];
  requests.forEach((r, j) => {
    if (j > 0) blocks.push(divider(`digest_div_${j}`));
    blocks.push(...requestRowBlocks(r, viewer));
  });
  return blocks;
}

/** A digest page again after some of its requests were decided: each shows its state now, no live buttons on those. */
export function digestPageNow(orgName: string, requests: RequestView[], viewer?: Viewer): { text: string; blocks: Block[] } {
  const waiting = requests.filter((r) => r.status === 'pending').length;
  const title = waiting === 0 ? `All ${requests.length} request${requests.length === 1 ? '' : 's'} of this digest decided` : `${waiting} of ${requests.length} request${requests.length === 1 ? '' : 's'} still waiting`;
  return { text: `${orgName}: ${title.toLowerCase()}`, blocks: digestPageBlocks(orgName, title, requests, viewer) };
}
