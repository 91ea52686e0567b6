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

  it('keeps every row action inside the list at every width (columns give way first, then rows become cards) and the host switcher readable', async () => {
    const found: Record<string, string[]> = {};
    for (const width of [1280, 1000, 900, 820, 700]) {
      const { page, context } = await openAt(suite.browser, suite.show.host, { viewport: { width, height: 800 } });
      // The top bar neither squeezes the host's name away nor runs off the side.
      const select = await page.getByLabel('Host', { exact: true }).boundingBox();
      if (!select || select.width < 120) found[`Host select at ${width}px`] = [`${select?.width ?? 0}px wide`];
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (sideways > 0) found[`page at ${width}px`] = [`${sideways}px wider than the window`];
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
