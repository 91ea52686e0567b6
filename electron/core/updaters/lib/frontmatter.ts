/**
 * Open WebUI's plugin front matter: line 1 of the file is exactly `"""`, then `key: value` lines
 * up to the line holding the closing `"""` (matched like the server: `^\s*([a-z_]+):\s*(.*)\s*$`,
 * case-insensitive). Anything else gives `{}`, as the server would.
 */
export function parseFrontmatter(content: string): Record<string, string> {
  const lines = content.split(/\r?\n/);
  if (lines[0] !== '"""') return {};
  const out: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    if (line.includes('"""')) break;
    const m = /^\s*([a-z_]+):\s*(.*)\s*$/i.exec(line);
    if (m) out[(m[1] as string).toLowerCase()] = (m[2] as string).trim();
  }
  return out;
}
