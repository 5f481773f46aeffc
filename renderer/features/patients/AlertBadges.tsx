import type { AlertKind } from '../../../shared/domain/patient';
import { ALERT_KIND_LABELS } from './labels';

export function AlertBadges({ kinds }: { kinds: AlertKind[] }) {
  if (kinds.length === 0) return null;
  return (
    <span className="badges">
      {kinds.map((k) => (
        <span key={k} className={`badge badge--${k}`}>
          {ALERT_KIND_LABELS[k]}
        </span>
      ))}
    </span>
  );
}
