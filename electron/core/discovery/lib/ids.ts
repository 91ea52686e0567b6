import { COMPONENT_ID_PATTERN } from '../../../../shared/schemas/component';

/** A component id from a package or folder name: `@scope/My.Tool` → `scope-my-tool`. */
export function slugId(name: string, fallback = 'component'): string {
  const slug = name
    .toLowerCase()
    .replace(/^@/, '')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 64)
    .replace(/[-_]+$/, '');
  return COMPONENT_ID_PATTERN.test(slug) ? slug : fallback;
}

/** `base`, else `base-2`, `base-3` … whichever is not in `taken`; the chosen id is added to `taken`. */
export function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) {
    const suffix = `-${n}`;
    id = `${base.slice(0, 64 - suffix.length).replace(/[-_]+$/, '')}${suffix}`;
  }
  taken.add(id);
  return id;
}
