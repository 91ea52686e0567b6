import type { RowStatus } from '../../store/selectors/components-selectors';
import { STATUS_LABEL } from '../../store/selectors/components-selectors';
import { Badge, type Tone } from '../../ui/Badge';

const TONE: Record<RowStatus, Tone> = {
  'not-checked': 'neutral',
  checking: 'info',
  'up-to-date': 'success',
  'update-available': 'accent',
  updating: 'info',
  failed: 'danger',
  'rolled-back': 'warning',
  'check-failed': 'danger',
  held: 'neutral',
  'needs-attention': 'danger',
  'not-offered': 'warning',
};

export function StatusBadge({ status, title }: { status: RowStatus; title?: string }) {
  return (
    <Badge tone={TONE[status]} title={title}>
      {STATUS_LABEL[status]}
    </Badge>
  );
}
