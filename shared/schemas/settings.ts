import { z } from 'zod';

/** General settings. Secrets (the GitHub token) are not part of this object: they are write-only. */
export const settingsSchema = z.strictObject({
  check_interval_hours: z.number().min(0.25).max(24 * 30).default(24),
  cache_ttl_hours: z.number().min(0).max(24 * 90).default(24),
  min_free_space_mb: z.number().int().min(0).max(10_000_000).default(500),
  backup_max_per_component: z.number().int().min(1).max(1000).default(10),
  backup_max_age_days: z.number().int().min(0).max(36500).default(0),
  backup_disk_budget_mb: z.number().int().min(0).max(100_000_000).default(0),
  notifications: z.boolean().default(true),
  github_api_base: z.string().min(1).default('https://api.github.com'),
});
export type Settings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof Settings;
export const SETTING_KEYS = Object.keys(settingsSchema.shape) as SettingKey[];

export const DEFAULT_SETTINGS: Settings = settingsSchema.parse({});

/** Partial update of settings; each key validated like the full object. */
export const settingsPatchSchema = settingsSchema.partial();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;
