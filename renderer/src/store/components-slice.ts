import type { ComponentTemplate } from '../../../shared/templates';
import type {
  Component,
  ConfigProblem,
  DiscoverResult,
  DiscoveryDefaults,
  DiscoveryProposal,
  ErrorShape,
} from '../../../shared/types';
import { toErrorShape } from '../api';
import type { LoadStatus, SliceCreator } from './types';

export interface ComponentsSlice {
  components: Component[];
  problems: ConfigProblem[];
  componentsStatus: LoadStatus;
  componentsError: ErrorShape | null;
  componentFilter: string;
  /** Starting points for the Add dialog. */
  templates: ComponentTemplate[];
  loadComponents(): Promise<void>;
  loadTemplates(): Promise<void>;
  discoveryDefaults: DiscoveryDefaults | null;
  discovery: DiscoverResult | null;
  loadDiscoveryDefaults(): Promise<void>;
  /** Look for installed software; resolves to the error or null (results land in `discovery`). */
  discover(request: { npmGlobal: boolean; python: string; gitDir: string }): Promise<ErrorShape | null>;
  addDiscovered(proposals: DiscoveryProposal[]): Promise<ErrorShape | null>;
  setComponentFilter(text: string): void;
  /** Add one component; resolves to the error (for messages next to the fields) or null. */
  addComponent(id: string, config: Record<string, unknown>): Promise<ErrorShape | null>;
  editComponent(id: string, config: Record<string, unknown>): Promise<ErrorShape | null>;
  removeComponent(id: string): Promise<ErrorShape | null>;
  importOctoprint(text: string, replace: boolean): Promise<ErrorShape | null>;
}

export const createComponentsSlice: SliceCreator<ComponentsSlice> =
  ({ api }) =>
  (set, get) => ({
    components: [],
    problems: [],
    componentsStatus: 'idle',
    componentsError: null,
    componentFilter: '',
    templates: [],
    discoveryDefaults: null,
    discovery: null,

    async loadDiscoveryDefaults() {
      try {
        set({ discoveryDefaults: await api.getDiscoveryDefaults({}) });
      } catch {
        // The form still works without prefills.
      }
    },

    async discover({ npmGlobal, python, gitDir }) {
      set({ discovery: null });
      try {
        const result = await api.discover({
          ...(npmGlobal ? { npm_global: true } : {}),
          ...(python.trim() ? { python: python.trim() } : {}),
          ...(gitDir.trim() ? { git_dir: gitDir.trim() } : {}),
        });
        set({ discovery: result });
        const fresh = result.proposals.filter((p) => !p.already_tracked).length;
        get().announce(
          `Found ${result.proposals.length} (${fresh} not tracked yet)${result.errors.length ? `; ${result.errors.length} source(s) failed` : ''}.`,
          result.errors.length ? 'error' : 'info',
        );
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Search failed: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },

    async addDiscovered(proposals) {
      try {
        const { added } = await api.addComponents({
          components: Object.fromEntries(proposals.map((p) => [p.id, p.config])),
        });
        get().announce(`Added ${added.length} component${added.length === 1 ? '' : 's'}.`, 'success');
        set({ discovery: null });
        await get().loadComponents();
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Not added: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },

    async loadTemplates() {
      if (get().templates.length) return;
      try {
        set({ templates: (await api.listTemplates({})).templates });
      } catch {
        // Without templates the Add dialog still offers every field.
      }
    },

    async loadComponents() {
      if (get().componentsStatus === 'idle') set({ componentsStatus: 'loading' });
      try {
        const { components, problems } = await api.listComponents({});
        set({ components, problems, componentsStatus: 'ready', componentsError: null });
      } catch (error) {
        const shape = toErrorShape(error);
        set({ componentsStatus: 'error', componentsError: shape });
        get().reportError('Could not load components', shape);
      }
    },

    setComponentFilter: (componentFilter) => set({ componentFilter }),

    async addComponent(id, config) {
      try {
        await api.addComponents({ components: { [id]: config } });
        get().announce(`Added ${String(config.name ?? id)}.`, 'success');
        await get().loadComponents();
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Could not add ${id}: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },

    async editComponent(id, config) {
      try {
        const updated = await api.updateComponent({ id, config });
        set((s) => ({ components: s.components.map((c) => (c.id === id ? updated : c)) }));
        get().announce(`Saved ${updated.name}.`, 'success');
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Could not save ${id}: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },

    async removeComponent(id) {
      const name = get().components.find((c) => c.id === id)?.name ?? id;
      try {
        await api.removeComponent({ id });
        set((s) => ({ components: s.components.filter((c) => c.id !== id) }));
        get().announce(`Removed ${name}. Its backups are kept.`, 'success');
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().reportError(`Could not remove ${name}`, shape);
        return shape;
      }
    },

    async importOctoprint(text, replace) {
      try {
        const result = await api.importOctoprint({ text, replace });
        const parts = [
          `Imported ${result.added.length + result.replaced.length} component(s) from the OctoPrint config`,
        ];
        if (result.skipped.length)
          parts.push(`skipped ${result.skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}`);
        get().announce(`${parts.join('; ')}.`, 'success');
        await get().loadComponents();
        return null;
      } catch (error) {
        const shape = toErrorShape(error);
        get().announce(`Import failed: ${shape.message} (${shape.code})`, 'error');
        return shape;
      }
    },
  });
