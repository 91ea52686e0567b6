import type { RiskInfo } from '../../../../shared/types';
import { Badge } from '../../ui/Badge';

/**
 * `Security` and `Breaking` badges for a pending update; the reasons and advisory ids are in the
 * title. A flag whose source could not be read shows as `Security unknown` (never as nothing),
 * with what failed in the title.
 */
export function RiskBadges({ risk }: { risk: RiskInfo | null | undefined }) {
  const unknown = (risk?.unknown ?? []).filter((u) => !risk?.flags.includes(u.flag));
  if (!risk || (risk.flags.length === 0 && unknown.length === 0)) return null;
  const ids = risk.advisories.map((a) => a.id).join(', ');
  return (
    <span className="risk-badges">
      {risk.flags.includes('security') ? (
        <Badge tone="danger" title={`Fixes ${ids || 'a known vulnerability'}. ${risk.reasons.join('; ')}`}>
          Security
        </Badge>
      ) : null}
      {risk.flags.includes('breaking') ? (
        <Badge tone="warning" title={risk.reasons.filter((r) => !r.startsWith('fixes')).join('; ')}>
          Breaking
        </Badge>
      ) : null}
      {unknown.map((u) => (
        <Badge
          key={u.flag}
          tone="neutral"
          title={`Unknown whether this update is ${u.flag === 'security' ? 'a security fix' : 'breaking'}: ${u.message} (${u.code})`}
        >
          {u.flag === 'security' ? 'Security unknown' : 'Breaking unknown'}
        </Badge>
      ))}
    </span>
  );
}
