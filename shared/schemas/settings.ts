import { z } from 'zod';

/** What a webhook can be told about; a webhook without `events` hears all of them. */
export const WEBHOOK_EVENTS = ['update_available', 'update_succeeded', 'update_failed', 'update_rolled_back'] as const;
export const WEBHOOK_FORMATS = ['json', 'discord', 'slack'] as const;

/** A webhook: generic JSON, or a Discord or Slack incoming-webhook URL. The URL is a credential: never logged. */
export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  format: z.enum(WEBHOOK_FORMATS, { error: `must be one of: ${WEBHOOK_FORMATS.join(', ')}` }).default('json'),
  events: z.array(z.enum(WEBHOOK_EVENTS, { error: `must be one of: ${WEBHOOK_EVENTS.join(', ')}` })).optional(),
  /** A label for the panel and logs (the URL is never shown in logs). */
  name: z.string().max(100).optional(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** An IANA time zone name Intl knows (Europe/Berlin), or '' for this machine's zone. */
const timeZoneSchema = z
  .string()
  .max(64)
  .refine((tz) => {
    if (tz === '') return true;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      // Intl does not know the zone: the schema reports it.
      return false;
    }
  }, "must be an IANA time zone such as Europe/Berlin or America/New_York, or empty for this machine's zone");

/** General settings. Secrets (the GitHub token) are not part of this object: they are write-only. */
export const settingsSchema = z.strictObject({
  check_interval_hours: z
    .number()
    .min(0.25)
    .max(24 * 30)
    .default(24),
  cache_ttl_hours: z
    .number()
    .min(0)
    .max(24 * 90)
    .default(24),
  min_free_space_mb: z.number().int().min(0).max(10_000_000).default(500),
  /** A download that receives no bytes for this long fails with TIMEOUT (a stalled mirror). */
  download_idle_timeout_s: z.number().min(0.05).max(3600).default(60),
  backup_max_per_component: z.number().int().min(1).max(1000).default(10),
  backup_max_age_days: z.number().int().min(0).max(36500).default(0),
  backup_disk_budget_mb: z.number().int().min(0).max(100_000_000).default(0),
  notifications: z.boolean().default(true),
  /** The GitHub API (GitHub Enterprise: https://HOST/api/v3). The GitHub token is sent to this origin. */
  github_api_base: z
    .url({
      protocol: /^https?$/,
      error: 'must be an http(s) URL such as https://api.github.com (GitHub Enterprise: https://HOST/api/v3)',
    })
    .max(2048)
    .default('https://api.github.com'),
  /** The zone maintenance windows are read in; '' means this machine's zone. */
  time_zone: timeZoneSchema.default(''),
  /** Where to announce updates (see webhookSchema). */
  webhooks: z.array(webhookSchema).max(20).default([]),
});
export type Settings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof Settings;
export const SETTING_KEYS: readonly SettingKey[] = settingsSchema.keyof().options;

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

type SettingsShape = typeof settingsSchema.shape;
type PatchShape = { [K in keyof SettingsShape]: z.ZodOptional<ReturnType<SettingsShape[K]['unwrap']>> };

/**
 * Each field of the shape without its default, and optional: `.partial()` would still fill in the
 * defaults, and a patch naming one key would then reset every other.
 */
function withoutDefaults(shape: SettingsShape): PatchShape {
  const fields = Object.entries(shape).map(([key, field]) => [key, field.unwrap().optional()]);
  return Object.fromEntries(fields) as PatchShape;
}

/** Partial update of settings: exactly the keys it names, each validated like the full object. */
export const settingsPatchSchema = z.strictObject(withoutDefaults(settingsSchema.shape));
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;
