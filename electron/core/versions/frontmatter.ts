/**
 * The docstring frontmatter of a single-file plugin, as Open WebUI reads it: line 1 is exactly
 * `"""`; the following lines up to one containing `"""` are `key: value` pairs
 * (`^\s*([a-z_]+):\s*(.*)\s*$`, case-insensitive). Anything else gives `{}` — the same rule the
 * server applies, so the local and deployed versions are read alike.
 */
export function parseFrontmatter(content: string): Record<string, string> {
  const lines = content
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  if (lines[0] !== '"""') return {};
  const out: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    if (line.includes('"""')) break;
    const m = /^\s*([a-z_]+):\s*(.*)\s*$/i.exec(line);
    if (m) out[(m[1] ?? '').toLowerCase()] = (m[2] ?? '').trim();
  }
  return out;
}

export function frontmatterVersion(content: string): string | null {
  const v = parseFrontmatter(content).version;
  return v && v.length > 0 ? v : null;
}
