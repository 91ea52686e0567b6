import { promises as fs } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { z } from 'zod';
import { UpkeepError } from '../../../shared/errors';
import { parseFrontmatter } from '../versions/frontmatter';
import { newSnapshotId, readSnapshot, writeSnapshot } from './lib/snapshots';
import { defineUpdater, type OwnContext } from './types';
import { causeCode, errnoCode, errorMessage } from '../lib/error-info';
import { isRecord } from '../../../shared/guards';

const NOT_FOUND_DETAIL = /could not find/i;

interface FunctionForm {
  id: string;
  name: string;
  content: string;
  meta: { description: string | null; manifest: Record<string, string> };
}

interface ServerFunction {
  id: string;
  name: string;
  content: string;
  meta?: { description?: string | null; manifest?: Record<string, string>; [key: string]: unknown };
}

/** What the server had before the update: the function (content and metadata), or nothing. */
interface FunctionSnapshot {
  kind: 'openwebui-function';
  api_base: string;
  function_id: string;
  taken_at: string;
  function: ServerFunction | null;
}

const serverFunctionSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  content: z.string(),
  meta: z
    .looseObject({
      description: z.string().nullable().optional(),
      manifest: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});
const functionSnapshotSchema = z.object({
  kind: z.literal('openwebui-function'),
  api_base: z.string(),
  function_id: z.string().min(1),
  taken_at: z.string(),
  function: serverFunctionSchema.nullable(),
}) satisfies z.ZodType<FunctionSnapshot>;

interface Answer {
  status: number;
  body: unknown;
  detail: string;
}

function apiBase(ctx: OwnContext<'openwebui'>): string {
  return (ctx.config.api_base ?? '').replace(/\/+$/, '');
}

function functionId(ctx: OwnContext<'openwebui'>): string {
  return ctx.config.function_id;
}

function localFile(ctx: OwnContext<'openwebui'>): string {
  const file = ctx.config.file;
  return path.isAbsolute(file) || !ctx.config.folder ? path.resolve(file) : path.join(ctx.config.folder, file);
}

function apiKey(ctx: OwnContext<'openwebui'>): string {
  // The same default as the openwebui check type.
  const env = ctx.config.api_key_env ?? 'OPENWEBUI_API_KEY';
  const key = process.env[env];
  if (!key)
    throw new UpkeepError(
      'UNAUTHORIZED',
      `The environment variable ${env} is not set. Put an Open WebUI admin API key (Settings → Account → API keys) in ${env} and try again.`,
    );
  ctx.addSecret(key);
  return key;
}

async function call(
  ctx: OwnContext<'openwebui'>,
  method: 'GET' | 'POST' | 'DELETE',
  route: string,
  body?: unknown,
): Promise<Answer> {
  const url = `${apiBase(ctx)}/api/v1/functions${route}`;
  let response;
  try {
    response = await request(url, {
      method,
      headers: {
        authorization: `Bearer ${apiKey(ctx)}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : null,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      signal: ctx.signal,
    });
  } catch (error) {
    if (error instanceof UpkeepError) throw error;
    const code = errnoCode(error) ?? causeCode(error);
    if (code === 'ECONNREFUSED') {
      throw new UpkeepError(
        'NETWORK',
        `Could not reach Open WebUI at ${apiBase(ctx)} (connection refused). Make sure Open WebUI is running and api_base is right.`,
      );
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      throw new UpkeepError(
        'TIMEOUT',
        `Open WebUI at ${apiBase(ctx)} did not answer within 30 s. Check that the server is healthy.`,
      );
    }
    throw new UpkeepError('NETWORK', `Could not reach Open WebUI at ${apiBase(ctx)}: ${code ?? errorMessage(error)}.`);
  }
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: the raw text is the detail.
    parsed = text;
  }
  const detailValue = isRecord(parsed) ? parsed.detail : parsed;
  const detail = typeof detailValue === 'string' ? detailValue : JSON.stringify(detailValue ?? '');
  return { status: response.statusCode, body: parsed, detail: detail.slice(0, 300) };
}

function isMissing(answer: Answer): boolean {
  return answer.status === 404 || (answer.status === 401 && NOT_FOUND_DETAIL.test(answer.detail));
}

/** A clear error for each way Open WebUI refuses (401, 403, 5xx …). */
function failure(ctx: OwnContext<'openwebui'>, answer: Answer, doing: string): UpkeepError {
  const base = apiBase(ctx);
  const env = ctx.config.api_key_env ?? 'OPENWEBUI_API_KEY';
  if (answer.status === 401) {
    return new UpkeepError(
      'UNAUTHORIZED',
      `Open WebUI at ${base} refused the API key while ${doing} (401: ${answer.detail}). Check the key in ${env}: it must be valid and belong to an admin.`,
      { status: 401 },
    );
  }
  if (answer.status === 403) {
    return new UpkeepError(
      'FORBIDDEN',
      `Open WebUI at ${base} refused ${doing} (403: ${answer.detail}). Set an admin API key in ${env}.`,
      { status: 403 },
    );
  }
  if (answer.status >= 500) {
    return new UpkeepError(
      'UPSTREAM_ERROR',
      `Open WebUI at ${base} failed while ${doing} (HTTP ${answer.status}: ${answer.detail || 'internal server error'}). Check the Open WebUI server log.`,
      { status: answer.status },
    );
  }
  return new UpkeepError(
    'UPSTREAM_ERROR',
    `Open WebUI at ${base} answered HTTP ${answer.status} while ${doing}: ${answer.detail}. The plugin file may not define a Pipe, Filter or Action class.`,
    { status: answer.status },
  );
}

async function readForm(ctx: OwnContext<'openwebui'>): Promise<FunctionForm> {
  const file = localFile(ctx);
  let content: string;
  try {
    content = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UpkeepError(
      'NOT_FOUND',
      `Cannot read the plugin file ${file}: ${errnoCode(error) ?? errorMessage(error)}. Check \`file\` in the component config.`,
    );
  }
  const manifest = parseFrontmatter(content);
  return {
    id: functionId(ctx),
    name: manifest.title ?? functionId(ctx),
    content,
    meta: { description: manifest.description ?? null, manifest },
  };
}

async function fetchFunction(ctx: OwnContext<'openwebui'>): Promise<ServerFunction | null> {
  const answer = await call(ctx, 'GET', `/id/${encodeURIComponent(functionId(ctx))}`);
  if (answer.status === 200) return answer.body as ServerFunction;
  if (isMissing(answer)) return null;
  throw failure(ctx, answer, `reading function ${functionId(ctx)}`);
}

/** Update, and when the server says the function does not exist, create with the same payload. Valves are never sent. */
async function deploy(ctx: OwnContext<'openwebui'>, form: FunctionForm): Promise<'updated' | 'created'> {
  const id = encodeURIComponent(form.id);
  const updated = await call(ctx, 'POST', `/id/${id}/update`, form);
  if (updated.status === 200) return 'updated';
  if (!isMissing(updated)) throw failure(ctx, updated, `updating function ${form.id}`);
  ctx.log(`function ${form.id} does not exist on the server (HTTP ${updated.status}); creating it`);
  const created = await call(ctx, 'POST', '/create', form);
  if (created.status === 200) return 'created';
  throw failure(ctx, created, `creating function ${form.id}`);
}

function sameFunction(server: ServerFunction, form: FunctionForm): boolean {
  return (
    server.content === form.content &&
    server.name === form.name &&
    (server.meta?.description ?? null) === form.meta.description
  );
}

/** The deploy-script flow: local plugin file → Open WebUI server, the server's valves untouched. */
export const openwebuiUpdater = defineUpdater<'openwebui'>({
  method: 'openwebui',

  folder() {
    return null;
  },

  async preflight(ctx) {
    apiKey(ctx);
    await readForm(ctx);
  },

  async apply(ctx) {
    const form = await readForm(ctx);
    const version = form.meta.manifest.version ?? 'unversioned';
    ctx.log(
      `deploying ${form.meta.manifest.title ?? form.id} (version ${version}) from ${localFile(ctx)} to ${apiBase(ctx)}`,
    );
    const current = await fetchFunction(ctx);
    if (current && sameFunction(current, form)) {
      ctx.log(`function ${form.id} on the server is already identical; nothing to deploy`);
      ctx.state.noop = true;
      return;
    }
    const how = await deploy(ctx, form);
    ctx.log(`${how} function ${form.id} (version ${version}); its valves on the server are untouched`);
  },

  snapshot: {
    async create(ctx) {
      const id = newSnapshotId('owui');
      const snapshot: FunctionSnapshot = {
        kind: 'openwebui-function',
        api_base: apiBase(ctx),
        function_id: functionId(ctx),
        taken_at: new Date().toISOString(),
        function: await fetchFunction(ctx),
      };
      await writeSnapshot(ctx, id, snapshot);
      ctx.log(
        snapshot.function
          ? `saved function ${snapshot.function_id} as the server has it (backup ${id})`
          : `function ${snapshot.function_id} does not exist on the server yet (backup ${id} records that)`,
      );
      return id;
    },

    async restore(ctx, backupId) {
      const snapshot = await readSnapshot(ctx, backupId, functionSnapshotSchema);
      const id = encodeURIComponent(snapshot.function_id);
      if (!snapshot.function) {
        const answer = await call(ctx, 'DELETE', `/id/${id}/delete`);
        if (answer.status !== 200 && !isMissing(answer))
          throw failure(ctx, answer, `removing function ${snapshot.function_id}`);
        ctx.log(`removed function ${snapshot.function_id}: it did not exist before the update`);
        return;
      }
      const fn = snapshot.function;
      const form: FunctionForm = {
        id: fn.id,
        name: fn.name,
        content: fn.content,
        meta: { ...(fn.meta ?? {}), description: fn.meta?.description ?? null, manifest: fn.meta?.manifest ?? {} },
      };
      const current = await fetchFunction(ctx);
      if (current && sameFunction(current, form)) {
        ctx.log(`function ${fn.id} on the server already matches backup ${backupId}`);
        return;
      }
      const how = await deploy(ctx, form);
      ctx.log(`${how} function ${fn.id} from backup ${backupId}; valves untouched`);
    },
  },
});
