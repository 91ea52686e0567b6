import type { ComponentConfig } from '../../../../shared/schemas/component';
import type { Component, DiscoverySource } from '../../../../shared/types';

/** What one discovery source found, before ids are made unique and tracked components are matched. */
export interface Candidate {
  source: DiscoverySource;
  /** The id this would get if nothing else has it (a slug of the package or folder name). */
  baseId: string;
  config: ComponentConfig;
  /** The installed version as the source saw it (package version, or a short commit for git). */
  installed: string | null;
  note?: string;
  github?: { user: string; repo: string };
  /** Whether an existing component already tracks the same thing. */
  tracks(component: Component): boolean;
}
