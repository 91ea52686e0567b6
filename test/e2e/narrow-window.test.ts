import type { Page } from 'playwright';
import { describe, expect, it } from 'vitest';
import { openAt, openView, useShowcase } from './helpers/showcase';

/** Buttons of the first rows that stick out of their list, or out of the window. */
async function cutOff(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const body = document.querySelector('.vt-body');
    if (!body) return ['no list'];
    const list = body.getBoundingClientRect();
    const rows = Array.from(body.querySelectorAll('[role="row"]')).slice(0, 5);
    for (const row of rows) {
      for (const b of Array.from(row.querySelectorAll('button'))) {
        const r = b.getBoundingClientRect();
        if (r.width === 0) continue;
        if (r.left < list.left - 0.5 || r.right > list.right + 0.5 || r.right > window.innerWidth)
          out.push(
            `${b.getAttribute('aria-label') ?? b.textContent?.trim() ?? '?'} at ${Math.round(r.left)}–${Math.round(r.right)}, list ${Math.round(list.left)}–${Math.round(list.right)}`,
          );
      }
    }
    return out;
  });
}

describe('a window between a phone and a wide screen', () => {
  const suite = useShowcase();

  it('keeps every row action inside the list at every width: columns give way first, then rows become cards', async () => {
    const found: Record<string, string[]> = {};
    for (const width of [1280, 1000, 900, 820, 700]) {
      const { page, context } = await openAt(suite.browser, suite.show.host, { viewport: { width, height: 800 } });
      for (const view of ['Components', 'Backups', 'History'] as const) {
        await openView(page, view);
        await page.locator('.vt-body [role="row"]').first().waitFor();
        const bad = await cutOff(page);
        if (bad.length) found[`${view} at ${width}px`] = bad;
      }
      await context.close();
    }
    expect(found).toEqual({});
  });
});
