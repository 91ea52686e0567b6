import type { ReactNode } from 'react';

/**
 * Release notes as Markdown, rendered to React elements. Raw HTML in the source stays text (React escapes
 * it), so a release body can never run script or inject markup; links are kept only for http(s) and mailto.
 * Covers what release notes use: headings, paragraphs, lists, code, quotes, rules, emphasis and links.
 */
export function Markdown({ source }: { source: string }) {
  return <div className="markdown">{renderBlocks(source.replace(/\r\n?/g, '\n'))}</div>;
}

function renderBlocks(text: string): ReactNode[] {
  const lines = text.split('\n');
  const out: ReactNode[] = [];
  let i = 0;
  let key = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (/^\s*$/.test(line)) {
      i += 1;
      continue;
    }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const code: string[] = [];
      i += 1;
      while (i < lines.length && !(lines[i] ?? '').trimStart().startsWith(fence[1]!)) code.push(lines[i++] ?? '');
      i += 1;
      out.push(
        <pre key={key++}>
          <code>{code.join('\n')}</code>
        </pre>,
      );
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      // Release notes sit inside a dialog with its own h2: their headings start at h3.
      const level = Math.min(6, heading[1]!.length + 2);
      const Tag = `h${level}` as 'h3';
      out.push(<Tag key={key++}>{renderInline(heading[2] ?? '')}</Tag>);
      i += 1;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push(<hr key={key++} />);
      i += 1;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quote: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i] ?? '')) quote.push((lines[i++] ?? '').replace(/^\s*>\s?/, ''));
      out.push(<blockquote key={key++}>{renderBlocks(quote.join('\n'))}</blockquote>);
      continue;
    }
    const listMatch = /^\s*([-*+]|\d+[.)])\s+/.exec(line);
    if (listMatch) {
      const ordered = /\d/.test(listMatch[1]!);
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i] ?? '';
        const m = /^\s*([-*+]|\d+[.)])\s+(.*)$/.exec(l);
        if (m && /\d/.test(m[1]!) === ordered) {
          items.push(m[2] ?? '');
        } else if (/^\s{2,}\S/.test(l) && items.length > 0) {
          items[items.length - 1] += ` ${l.trim()}`;
        } else break;
        i += 1;
      }
      const children = items.map((item, n) => (
        <li key={n}>{renderInline(item.replace(/^\[( |x|X)\]\s+/, (_m, c: string) => (c === ' ' ? '☐ ' : '☑ ')))}</li>
      ));
      out.push(ordered ? <ol key={key++}>{children}</ol> : <ul key={key++}>{children}</ul>);
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length) {
      const l = lines[i] ?? '';
      if (/^\s*$/.test(l) || /^(#{1,6})\s/.test(l) || /^\s*(```|~~~|>)/.test(l) || /^\s*([-*+]|\d+[.)])\s+/.test(l))
        break;
      paragraph.push(l.trim());
      i += 1;
    }
    out.push(<p key={key++}>{renderInline(paragraph.join(' '))}</p>);
  }
  return out;
}

// Underscore emphasis only at word boundaries (GFM): snake_case and __dunder__ names stay as written.
const INLINE =
  /(`+)([\s\S]*?)\1|\*\*([^*]+)\*\*|(?<![\w])__([^_]+)__(?![\w])|\*([^*\s][^*]*)\*|(?<![\w])_([^_\s][^_]*)_(?![\w])|!?\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

function renderInline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const m of text.matchAll(INLINE)) {
    const index = m.index ?? 0;
    if (index > last) out.push(text.slice(last, index));
    if (m[1] !== undefined) out.push(<code key={key++}>{m[2]}</code>);
    else if (m[3] !== undefined || m[4] !== undefined)
      out.push(<strong key={key++}>{renderInline(m[3] ?? m[4] ?? '')}</strong>);
    else if (m[5] !== undefined || m[6] !== undefined)
      out.push(<em key={key++}>{renderInline(m[5] ?? m[6] ?? '')}</em>);
    else if (m[8] !== undefined) {
      const href = safeHref(m[8]);
      const label = m[7] || m[8];
      // Images are shown as their alt text: release notes must not load remote content.
      out.push(
        href && !m[0].startsWith('!') ? (
          <a key={key++} href={href} target="_blank" rel="noreferrer noopener">
            {renderInline(label)}
          </a>
        ) : (
          label
        ),
      );
    } else if (m[9] !== undefined) {
      const href = safeHref(m[9]);
      out.push(
        href ? (
          <a key={key++} href={href} target="_blank" rel="noreferrer noopener">
            {m[9]}
          </a>
        ) : (
          m[9]
        ),
      );
    }
    last = index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
