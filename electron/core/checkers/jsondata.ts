import { UpkeepError } from '../../../shared/errors';
import { jsonPath } from '../versions/installed';
import { defineChecker } from './types';
import { isRecord } from '../../../shared/guards';

/**
 * A JSON document with the latest version (OctoPrint's jsondata: `{"version": "1.2.3"}`);
 * `jsondata_path` reads another key (dotted). Compared with `release_compare` (default: any
 * difference is an update, as OctoPrint). Optional `url`/`download_url` in the document become the target.
 */
export const jsondataChecker = defineChecker<'jsondata'>({
  type: 'jsondata',
  defaultCompare: 'unequal',
  readsInstalled: false,

  async check(ctx) {
    const url = ctx.config.jsondata;
    const { data } = await ctx.http.getJson<unknown>(url, { maxBytes: 4 * 1024 * 1024, signal: ctx.signal });
    const key = ctx.config.jsondata_path;
    const value = jsonPath(data, typeof key === 'string' ? key : 'version');
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new UpkeepError(
        'CHECK_FAILED',
        `${new URL(url).host} sent JSON without a "${typeof key === 'string' ? key : 'version'}" string. The document must look like {"version": "1.2.3"}.`,
      );
    }
    const version = String(value).trim();
    const doc = isRecord(data) ? data : {};
    const download =
      typeof doc.download_url === 'string' ? doc.download_url : typeof doc.url === 'string' ? doc.url : null;
    return { installed: ctx.installed, latest: version, target: { version, tarball_url: download } };
  },
});
