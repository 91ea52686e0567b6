import type { SliceCreator } from './types';

/**
 * Environment components (pip_env, npm_env, apt): which row shows its package list, the packages
 * chosen per component, and whether security updates sort first.
 */
export interface EnvironmentsSlice {
  expandedEnvironment: string | null;
  /** Component id → chosen package names. */
  packageSelection: Record<string, string[]>;
  securityFirst: boolean;
  toggleEnvironment(id: string): void;
  togglePackage(id: string, name: string): void;
  setPackageSelection(id: string, names: string[]): void;
  setSecurityFirst(on: boolean): void;
  /** Update only the chosen packages of one environment. */
  updateSelectedPackages(id: string): Promise<void>;
}

export const createEnvironmentsSlice: SliceCreator<EnvironmentsSlice> = () => (set, get) => ({
  expandedEnvironment: null,
  packageSelection: {},
  securityFirst: false,

  toggleEnvironment: (id) => set((s) => ({ expandedEnvironment: s.expandedEnvironment === id ? null : id })),

  togglePackage: (id, name) =>
    set((s) => {
      const current = s.packageSelection[id] ?? [];
      const next = current.includes(name) ? current.filter((n) => n !== name) : [...current, name];
      return { packageSelection: { ...s.packageSelection, [id]: next } };
    }),

  setPackageSelection: (id, names) => set((s) => ({ packageSelection: { ...s.packageSelection, [id]: [...names] } })),

  setSecurityFirst: (on) => set({ securityFirst: on }),

  async updateSelectedPackages(id) {
    const packages = get().packageSelection[id] ?? [];
    if (packages.length === 0) return;
    await get().updateComponents([id], { packages });
    set((s) => ({ packageSelection: { ...s.packageSelection, [id]: [] } }));
  },
});
