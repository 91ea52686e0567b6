import { toErrorShape, type ErrorShape } from '../../../shared/errors';
import type { CheckTypeDescriptor } from '../../../shared/descriptors/types';
import type { ComponentConfig } from '../../../shared/schemas/component';
import type { Advisory, CheckResult, ReleaseNote, RiskInfo } from '../../../shared/types';
import type { HttpClient } from '../net/http-client';
import { buildRisk, flagState, markUnknown } from './flags';
import { fixedAdvisories, npmBulkAdvisories } from './npm-advisories';
import { pypiAdvisories } from './pypi-advisories';

/**
 * Advisories of the installed version that `latest` fixes, for the types whose descriptor names an
 * advisory source: PyPI (`/pypi/{pkg}/{installed}/json` vulnerabilities) and npm (the bulk advisory
 * endpoint). Other types learn about security fixes from their release notes. A failed lookup is not
 * a failed check: it yields no advisories and its failure in `error`, which makes `security` unknown.
 */
export async function releaseAdvisories(
  source: CheckTypeDescriptor['advisories'],
  config: ComponentConfig,
  http: HttpClient,
  installed: string | null,
  latest: string | null,
  signal?: AbortSignal,
): Promise<{ installed: string; latest: string; items: Advisory[]; error: ErrorShape | null } | null> {
  if (!installed || !latest || !config.package || installed === latest || source === null) return null;
  try {
    return {
      installed,
      latest,
      items: await advisoriesFrom(source, config.package, config, http, installed, latest, signal),
      error: null,
    };
  } catch (error) {
    const shape = toErrorShape(error);
    return { installed, latest, items: [], error: { code: shape.code, message: shape.message } };
  }
}

async function advisoriesFrom(
  source: 'pypi' | 'npm',
  pkg: string,
  config: ComponentConfig,
  http: HttpClient,
  installed: string,
  latest: string,
  signal?: AbortSignal,
): Promise<Advisory[]> {
  if (source === 'pypi') return pypiAdvisories(http, config.index_url, pkg, installed, latest, signal);
  const answer = await npmBulkAdvisories(http, config.registry, { [pkg]: [installed] }, signal);
  return fixedAdvisories(answer[pkg], installed, latest);
}

/**
 * The risk of a pending update of any kind: advisories it fixes, major version change, what the
 * notes say. Advisories that could not be read leave `security` unknown unless the notes set it.
 */
export function pendingRisk(parts: {
  installed: string | null;
  latest: string | null;
  notes?: readonly ReleaseNote[];
  advisories?: readonly Advisory[];
  advisoryError?: ErrorShape | string | null;
  opaque?: boolean;
}): RiskInfo {
  const risk = buildRisk({
    installed: parts.opaque ? null : parts.installed,
    target: parts.opaque ? null : parts.latest,
    ...(parts.notes ? { notes: parts.notes } : {}),
    ...(parts.advisories ? { advisories: parts.advisories } : {}),
  });
  // Not knowing is not the same as "no advisories": security is unknown, not false.
  if (parts.advisoryError)
    markUnknown(risk, 'security', advisoryFailure(parts.advisoryError), 'the security advisories');
  return risk;
}

/** An advisory failure as cached (a message alone in caches written before codes were kept). */
function advisoryFailure(error: ErrorShape | string): ErrorShape {
  return typeof error === 'string' ? { code: 'UPSTREAM_ERROR', message: error } : error;
}

type RiskFields = Pick<CheckResult, 'risk' | 'security' | 'breaking' | 'risk_flags' | 'risk_unknown'>;

/**
 * The risk fields of a check result (`risk`, and `security`/`breaking`/`risk_flags` for policies
 * and scripts): each flag true, false, or null when its source failed (`risk_unknown` says why).
 */
export function riskFields(risk: RiskInfo | null): RiskFields {
  if (!risk) return { risk: null, security: false, breaking: false, risk_flags: [], risk_unknown: [] };
  return {
    risk,
    security: flagState(risk, 'security'),
    breaking: flagState(risk, 'breaking'),
    risk_flags: [...risk.flags],
    risk_unknown: [...(risk.unknown ?? [])],
  };
}

/** A failed check decides nothing: every flag is unknown (the result's `error` says why). */
export function failedRiskFields(): RiskFields {
  return { risk: null, security: null, breaking: null, risk_flags: [], risk_unknown: [] };
}
