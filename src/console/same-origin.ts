// The console's forms post only from the console's own pages. Besides the CSRF token
// (@fastify/csrf-protection), a browser that says where a form came from must say this
// site: `Sec-Fetch-Site` same-origin (or none: typed or bookmarked), else an `Origin`
// equal to ours. A browser sending neither (old ones, scripts) is left to the token.
// `Origin: null` (a page with Referrer-Policy no-referrer, as ours) tells nothing.

export interface FormSource {
  secFetchSite?: string | undefined;
  origin?: string | undefined;
}

/** Null when the form may be taken; otherwise why not. */
export function crossSiteForm(source: FormSource, ownOrigins: readonly string[]): string | null {
  const site = source.secFetchSite?.trim().toLowerCase();
  if (site) return site === 'same-origin' || site === 'none' ? null : `Sec-Fetch-Site: ${site}`;
  const origin = source.origin?.trim();
  if (!origin || origin === 'null') return null;
  return ownOrigins.includes(origin.toLowerCase().replace(/\/$/, '')) ? null : `Origin: ${origin}`;
}
