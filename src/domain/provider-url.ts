// Which URLs may name an identity provider: https, or http on this machine only (a
// provider run by tests or a developer). Never credentials or a fragment in it.
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isAcceptableProviderUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password || url.hash) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}
