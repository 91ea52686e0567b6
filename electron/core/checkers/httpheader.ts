import { UpkeepError } from '../../../shared/errors';
import { extraString } from './lib/config';
import type { ComponentConfig } from '../../../shared/schemas/component';
import { defineChecker } from './types';

function headerPrefix(config: ComponentConfig): string {
  return extraString(config, 'header_prefix') ?? config.header_name ?? 'ETag';
}

function headerDecision(
  installed: string | null,
  value: string,
  prefix: string,
): { update: boolean; explanation: string } {
  if (!installed) return { update: true, explanation: `${prefix} ${value}; installed value unknown` };
  if (installed === value) return { update: false, explanation: `${prefix} ${value} unchanged` };
  return { update: true, explanation: `${prefix} changed: ${value} != ${installed}` };
}

/**
 * A header of a URL (ETag, Last-Modified …) against `current` (OctoPrint's httpheader): any change
 * is an update. `header_prefix` labels the value for display (default: the header name).
 */
export const httpheaderChecker = defineChecker<'httpheader'>({
  type: 'httpheader',
  defaultCompare: 'unequal',
  readsInstalled: false,
  opaqueVersions: true,

  decide(installed, latest, config) {
    return headerDecision(installed, latest, headerPrefix(config));
  },

  async check(ctx) {
    const url = ctx.config.header_url ?? ctx.config.url;
    if (!url) throw new UpkeepError('INVALID_CONFIG', 'header_url (or url) is required for type httpheader.');
    const name = (ctx.config.header_name ?? 'ETag').toLowerCase();
    const method = ctx.config.header_method?.toUpperCase() === 'GET' ? 'GET' : 'HEAD';
    const response = await ctx.http.request(url, {
      method,
      conditional: false,
      maxBytes: 16 * 1024 * 1024,
      signal: ctx.signal,
    });
    const value = response.headers[name];
    if (!value)
      throw new UpkeepError(
        'CHECK_FAILED',
        `${new URL(url).host} did not send a ${ctx.config.header_name ?? 'ETag'} header. Check header_name, or try header_method: GET.`,
        { header: name },
      );
    return {
      installed: ctx.installed,
      latest: value,
      decision: headerDecision(ctx.installed, value, headerPrefix(ctx.config)),
      target: { version: value },
    };
  },
});
