import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { frontmatterVersion } from '../versions/frontmatter';
import { resolveComponentPath } from '../versions/installed';
import { joinUrl } from './lib/links';
import { secretFromEnv } from './lib/config';
import { defineChecker } from './types';
import { errnoCode, errorMessage } from '../lib/error-info';

const NOT_FOUND_DETAIL = /could not find/i;

/** A deployed function as the API answers it: only its manifest version and its source are read. */
const functionModelSchema = z.looseObject({
  content: z.string().optional().catch(undefined),
  meta: z
    .looseObject({ manifest: z.looseObject({ version: z.unknown() }).optional().catch(undefined) })
    .nullable()
    .optional()
    .catch(undefined),
});

/**
 * A plugin deployed to an Open WebUI server: the version on the server (`GET
 * /api/v1/functions/id/{id}` with a bearer key from `api_key_env`, default OPENWEBUI_API_KEY)
 * against the local file's docstring `version:`. "Installed" is what the server runs; "latest" is
 * the local file. Open WebUI answers 401 "could not find" for an unknown id: not deployed yet.
 */
export const openwebuiChecker = defineChecker<'openwebui'>({
  type: 'openwebui',
  defaultCompare: 'python',
  readsInstalled: true,

  async check(ctx) {
    const apiBase = ctx.config.api_base.replace(/\/+$/, '');
    const id = ctx.config.function_id;
    const file = resolveComponentPath(ctx.config, ctx.config.file);
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (error) {
      throw new UpkeepError(
        'CHECK_FAILED',
        `Cannot read the plugin file ${file}: ${errnoCode(error) ?? errorMessage(error)}. Check file and folder.`,
        { file },
      );
    }
    const local = frontmatterVersion(content);
    if (!local)
      throw new UpkeepError(
        'CHECK_FAILED',
        `${file} has no "version:" line in its docstring (line 1 must be """). Open WebUI reads the version from there too.`,
        { file },
      );
    const key = secretFromEnv(ctx.config, ctx.env, 'api_key_env', 'OPENWEBUI_API_KEY');
    if (!key) {
      const variable = ctx.config.api_key_env ?? 'OPENWEBUI_API_KEY';
      throw new UpkeepError(
        'UNAUTHORIZED',
        `Set ${variable} to an Open WebUI admin API key (Settings → Account → API keys) to check ${id}.`,
        { env: variable },
      );
    }
    const url = joinUrl(apiBase, `api/v1/functions/id/${encodeURIComponent(id)}`);
    const response = await ctx.http.request(url, {
      auth: { bearer: key },
      acceptStatus: [401, 404],
      conditional: false,
      headers: { accept: 'application/json' },
      signal: ctx.signal,
    });
    let deployed: string | null;
    if (response.status === 401 || response.status === 404) {
      const detail = (() => {
        try {
          return String(response.json<{ detail?: unknown }>().detail ?? '');
        } catch {
          // No JSON detail in the answer: the status alone decides below.
          return '';
        }
      })();
      if (response.status === 401 && !NOT_FOUND_DETAIL.test(detail)) {
        throw new UpkeepError(
          'UNAUTHORIZED',
          `Open WebUI at ${apiBase} refused the API key (${detail || '401'}). Use an admin key in ${ctx.config.api_key_env ?? 'OPENWEBUI_API_KEY'}.`,
        );
      }
      deployed = null;
    } else {
      const parsed = functionModelSchema.safeParse(response.json<unknown>());
      if (!parsed.success)
        throw new UpkeepError(
          'PARSE_ERROR',
          `Open WebUI at ${apiBase} answered for ${id} with something other than a function. Check api_base.`,
        );
      const fn = parsed.data;
      const manifestVersion = fn.meta?.manifest?.version;
      deployed =
        typeof manifestVersion === 'string' && manifestVersion
          ? manifestVersion
          : typeof fn.content === 'string'
            ? frontmatterVersion(fn.content)
            : null;
    }
    const outcome = { installed: deployed, latest: local, target: { version: local } };
    if (deployed === null) {
      return {
        ...outcome,
        decision: {
          update: true,
          explanation:
            response.status === 200
              ? `${local} available; the deployed copy has no version`
              : `${local} available; ${id} is not deployed on ${new URL(apiBase).host} yet`,
        },
      };
    }
    return outcome;
  },
});
