import { z } from 'zod';
import type { AppInfo, Component, ConfigProblem, SettingsView } from '../types';
import { componentIdSchema } from '../schemas/component';
import { settingsPatchSchema } from '../schemas/settings';

/**
 * The one API every host speaks (DESIGN.md §2.2). Each method takes one object and returns a Promise.
 * `mutates` marks methods that change state: read-only callers (a read-only HTTP token) may not call them.
 * Adding an operation: add it here (request schema + response type) and in createApi; the compiler finds the rest.
 */
interface MethodDef<Req extends z.ZodType> {
  request: Req;
  mutates: boolean;
}
const def = <Req extends z.ZodType>(request: Req, opts: { mutates: boolean }): MethodDef<Req> => ({ request, ...opts });

const MAX_TEXT = 1024 * 1024;
const noArgs = z.strictObject({});

export const methods = {
  getInfo: def(noArgs, { mutates: false }),
  listComponents: def(noArgs, { mutates: false }),
  getComponent: def(z.strictObject({ id: componentIdSchema }), { mutates: false }),
  addComponents: def(
    z.strictObject({
      /** A YAML or JSON document with a `components:` mapping (as `upkeep component add --file`). */
      text: z.string().max(MAX_TEXT).optional(),
      /** Or the mapping itself: id → config. */
      components: z.record(z.string(), z.unknown()).optional(),
      /** Replace components that already exist instead of failing with ALREADY_EXISTS. */
      replace: z.boolean().optional(),
    }).refine((r) => (r.text === undefined) !== (r.components === undefined), {
      message: 'give exactly one of text or components',
      path: ['text'],
    }),
    { mutates: true },
  ),
  updateComponent: def(z.strictObject({ id: componentIdSchema, config: z.record(z.string(), z.unknown()) }), { mutates: true }),
  removeComponent: def(z.strictObject({ id: componentIdSchema }), { mutates: true }),
  importOctoprint: def(
    z.strictObject({ text: z.string().min(1).max(MAX_TEXT), replace: z.boolean().optional() }),
    { mutates: true },
  ),
  getSettings: def(noArgs, { mutates: false }),
  setSettings: def(
    z.strictObject({
      patch: settingsPatchSchema.optional(),
      /** A new GitHub token; null removes it. Never sent back. */
      github_token: z.string().max(1000).nullable().optional(),
    }),
    { mutates: true },
  ),
} as const;

export interface Responses {
  getInfo: AppInfo;
  listComponents: { components: Component[]; problems: ConfigProblem[] };
  getComponent: Component;
  addComponents: { added: string[]; replaced: string[] };
  updateComponent: Component;
  removeComponent: { removed: string };
  importOctoprint: { added: string[]; replaced: string[]; skipped: { id: string; reason: string }[] };
  getSettings: SettingsView;
  setSettings: SettingsView;
}

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export const METHOD_NAMES = Object.keys(methods) as MethodName[];

/** What a caller passes (defaults not yet applied). */
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>;
/** What an implementation receives (validated, defaults applied). */
export type ParsedRequestOf<M extends MethodName> = z.output<Methods[M]['request']>;
export type ResponseOf<M extends MethodName> = Responses[M];

/** The API as a client sees it. */
export type Api = { [M in MethodName]: (request: RequestOf<M>) => Promise<ResponseOf<M>> };

export type InitiatedBy = 'panel' | 'cli' | 'schedule';
/** Who is calling: set by the host, never by the request. */
export interface CallContext {
  initiatedBy: InitiatedBy;
  readOnly: boolean;
}

/** The API as createApi implements it. */
export type ApiImplementation = {
  [M in MethodName]: (request: ParsedRequestOf<M>, ctx: CallContext) => Promise<ResponseOf<M>>;
};

// Every method has a response type and every response type a method.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const contractIsComplete: Exact<keyof Responses, MethodName> = true;

export * from './events';
export * from './invoke';
export * from './bridge';
