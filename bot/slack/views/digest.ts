// The daily digest of outstanding requests, paged so each message stays within
// Block Kit's 50 blocks: a header, a context line and three blocks per request.
import type { DigestView } from '../../../src/notify/port.js';
import { context, divider, esc, header, pages, type Block } from './blocks.js';
import { requestRowBlocks, type Viewer } from './request-card.js';

export const DIGEST_PAGE_SIZE = 15;

export interface DigestPage {
  text: string;
  blocks: Block[];
}

/** The digest as one admin sees it: their own request (if any) without decision buttons. */
export function digestPages(d: DigestView, viewer?: Viewer, pageSize = DIGEST_PAGE_SIZE): DigestPage[] {
  const total = d.requests.length;
  const chunks = pages(d.requests, pageSize);
  return chunks.map((chunk, i) => {
    const from = i * pageSize + 1;
    const to = i * pageSize + chunk.length;
    const title = chunks.length > 1 ? `Requests waiting (${from}–${to} of ${total})` : `${total} request${total === 1 ? '' : 's'} waiting`;
    const blocks: Block[] = [header(title, 'digest_header'), context([`Daily digest for ${esc(d.orgName)}. Decide here, or wait for the next digest.`], 'digest_context')];
    chunk.forEach((r, j) => {
      if (j > 0) blocks.push(divider(`digest_div_${j}`));
      blocks.push(...requestRowBlocks(r, viewer));
    });
    return { text: `${d.orgName}: ${title.toLowerCase()} for a decision`, blocks };
  });
}
