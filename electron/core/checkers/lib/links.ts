/** Parse an RFC 8288 `Link` header into rel → URL (GitHub and GitLab pagination). */
export function parseLinkHeader(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (!m) continue;
    const [, target = '', params = ''] = m;
    const rel = /rel="?([^";]+)"?/i.exec(params);
    if (rel) for (const r of (rel[1] ?? '').split(/\s+/)) out[r.toLowerCase()] = target;
  }
  return out;
}

/** Join a base URL and a path without doubling or losing slashes. */
export function joinUrl(base: string, pathname: string): string {
  return `${base.replace(/\/+$/, '')}/${pathname.replace(/^\/+/, '')}`;
}

/** Whether `next` may be followed from `base`: same origin only (pagination must not leave the API). */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    // An unparsable URL is never the same origin: the link is not followed.
    return false;
  }
}
