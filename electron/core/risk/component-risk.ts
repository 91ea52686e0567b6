import type { ComponentConfig } from '../../../shared/schemas/component';
import type { Advisory, CheckResult, ReleaseNote, RiskInfo } from '../../../shared/types';
import type { HttpClient } from '../net/http-client';
import { buildRisk } from './flags';
import { fixedAdvisories, npmBulkAdvisories } from './npm-advisories';
import { pypiAdvisories } from './pypi-advisories';

/**
 * Advisories of the installed version that `latest` fixes, for the types whose index publishes them:
 * PyPI (`/pypi/{pkg}/{installed}/json` vulnerabilities) and npm (the bulk advisory endpoint). Other
 * types learn about security fixes from their release notes. A failed lookup is not a failed check:
 * it yields no advisories and says so in `error`.
 */
export async function releaseAdvisories(
  type: string,
  config: ComponentConfig,
  http: HttpClient,
  installed: string | null,
  latest: string | null,
  signal?: AbortSignal,
): Promise<{ items: Advisory[]; error: string | null } | null> {
  if (!installed || !latest || !config.package || installed === latest) return null;
  try {
    if (type === 'pypi_release') return { items: await pypiAdvisories(http, config.index_url, config.package, installed, latest, signal), error: null };
    if (type === 'npm_release') {
      const answer = await npmBulkAdvisories(http, config.registry, { [config.package]: [installed] }, signal);
      return { items: fixedAdvisories(answer[config.package], installed, latest), error: null };
    }
  } catch (error) {
    return { items: [], error: (error as Error).message };
  }
  return null;
}

/** The risk of a pending update of any kind: advisories it fixes, major version change, what the notes say. */
export function pendingRisk(parts: { installed: string | null; latest: string | null; notes?: readonly ReleaseNote[]; advisories?: readonly Advisory[]; advisoryError?: string | null; opaque?: boolean }): RiskInfo {
  const risk = buildRisk({
    installed: parts.opaque ? null : parts.installed,
    target: parts.opaque ? null : parts.latest,
    ...(parts.notes ? { notes: parts.notes } : {}),
    ...(parts.advisories ? { advisories: parts.advisories } : {}),
  });
  // Not knowing is not the same as "no advisories": say so.
  if (parts.advisoryError) risk.reasons.push(`security advisories could not be read: ${parts.advisoryError}`);
  return risk;
}

/** The risk fields of a check result (`risk`, and `security`/`breaking`/`risk_flags` for policies and scripts). */
export function riskFields(risk: RiskInfo | null): Pick<CheckResult, 'risk' | 'security' | 'breaking' | 'risk_flags'> {
  if (!risk) return { risk: null, security: false, breaking: false, risk_flags: [] };
  return { risk, security: risk.flags.includes('security'), breaking: risk.flags.includes('breaking'), risk_flags: [...risk.flags] };
}
