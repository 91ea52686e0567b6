import { UpkeepError } from '../../../shared/errors';
import type {
  Component,
  DiscoverResult,
  DiscoveryError,
  DiscoveryProposal,
  DiscoverySource,
} from '../../../shared/types';
import { validateComponent } from '../config/validate';
import { discoverGitCheckouts, type GitCheckoutsOptions } from './git-checkouts';
import type { Candidate } from './lib/candidate';
import { uniqueId } from './lib/ids';
import { discoverNpmGlobal, type NpmGlobalOptions } from './npm-global';
import { discoverPythonPackages, type PythonPackagesOptions } from './python-packages';
import { errorMessage } from '../lib/error-info';

export interface DiscoverRequest {
  npm_global?: boolean | undefined;
  python?: string | undefined;
  git_dir?: string | undefined;
}

export interface DiscoverOptions {
  npm?: NpmGlobalOptions;
  python?: PythonPackagesOptions;
  git?: GitCheckoutsOptions;
}

/**
 * Run the chosen discovery sources side by side and turn what they find into proposals: full
 * component configs that validate, each with a unique suggested id and whether an existing
 * component already tracks it. A failing source becomes one entry in `errors`; the others still
 * answer.
 */
export async function discover(
  request: DiscoverRequest,
  existing: readonly Component[],
  options: DiscoverOptions = {},
): Promise<DiscoverResult> {
  const jobs: { source: DiscoverySource; run: () => Promise<{ candidates: Candidate[]; errors: DiscoveryError[] }> }[] =
    [];
  if (request.npm_global)
    jobs.push({
      source: 'npm_global',
      run: async () => ({ candidates: await discoverNpmGlobal(options.npm), errors: [] }),
    });
  if (request.python !== undefined) {
    const python = request.python;
    jobs.push({
      source: 'python',
      run: async () => ({ candidates: await discoverPythonPackages(python, options.python), errors: [] }),
    });
  }
  if (request.git_dir !== undefined) {
    const dir = request.git_dir;
    jobs.push({ source: 'git', run: () => discoverGitCheckouts(dir, options.git) });
  }
  if (jobs.length === 0) {
    throw new UpkeepError(
      'INVALID_REQUEST',
      'Choose at least one place to look: global npm packages, a Python interpreter or venv, or a folder of git checkouts.',
    );
  }

  // Each job's outcome with its source: one source failing never hides what the others found.
  const settled = await Promise.all(
    jobs.map((job) =>
      job.run().then(
        (found) => ({ source: job.source, found, failure: undefined }),
        (failure: unknown) => ({ source: job.source, found: undefined, failure }),
      ),
    ),
  );
  const candidates: Candidate[] = [];
  const errors: DiscoveryError[] = [];
  for (const { source, found, failure } of settled) {
    if (found) {
      candidates.push(...found.candidates);
      errors.push(...found.errors);
    } else {
      errors.push(sourceError(source, failure));
    }
  }
  return { proposals: toProposals(candidates, existing, errors), errors };
}

function toProposals(
  candidates: Candidate[],
  existing: readonly Component[],
  errors: DiscoveryError[],
): DiscoveryProposal[] {
  const taken = new Set(existing.map((c) => c.id));
  const proposals: DiscoveryProposal[] = [];
  for (const candidate of candidates) {
    const tracker = existing.find((c) => candidate.tracks(c));
    const id = tracker ? tracker.id : uniqueId(candidate.baseId, taken);
    let config;
    try {
      config = validateComponent(id, candidate.config, 'discovery');
    } catch (error) {
      // A proposal that does not validate is a bug in a source; report it instead of offering it.
      errors.push(sourceError(candidate.source, error));
      continue;
    }
    const proposal: DiscoveryProposal = {
      id,
      config,
      source: candidate.source,
      already_tracked: tracker !== undefined,
      installed: candidate.installed,
    };
    if (candidate.note) proposal.note = candidate.note;
    if (candidate.github) proposal.github = candidate.github;
    proposals.push(proposal);
  }
  return proposals;
}

function sourceError(source: DiscoverySource, error: unknown): DiscoveryError {
  if (error instanceof UpkeepError) {
    const out: DiscoveryError = { source, code: error.code, message: error.message };
    const where = error.details?.path ?? error.details?.python;
    if (typeof where === 'string') out.path = where;
    return out;
  }
  return { source, code: 'INTERNAL', message: `Discovery of ${source} failed unexpectedly: ${errorMessage(error)}.` };
}

/** The proposals an "add everything new" action adds, as the mapping addComponents takes. */
export function untrackedMapping(result: DiscoverResult): Record<string, DiscoveryProposal['config']> {
  return Object.fromEntries(result.proposals.filter((p) => !p.already_tracked).map((p) => [p.id, p.config]));
}
