/**
 * Conflicts in words for staff: the refusal message of a clashing booking and the lines of the
 * conflict inbox. Chairs and providers are named (they are the clinic's set-up); patients never
 * are, so the text is safe in error messages and logs.
 */
import type { Conflict, SchedulingSetup } from '../../../shared/scheduling';
import { utcToZoned } from '../../../shared/scheduling';

function span(c: Conflict, timeZone: string, withDate: boolean): string {
  const from = utcToZoned(c.start, timeZone);
  const to = utcToZoned(c.end, timeZone);
  const times = `${from.time}–${to.time}`;
  return withDate ? `${from.date} ${times}` : times;
}

export function describeConflict(
  c: Conflict,
  setup: SchedulingSetup,
  options: { withDate?: boolean } = {},
): string {
  const when = span(c, setup.timeZone, options.withDate ?? false);
  const chair = setup.chairs.find((x) => x.id === c.resourceId)?.name ?? 'A chair';
  const provider = setup.providers.find((x) => x.id === c.resourceId)?.name ?? 'The provider';
  switch (c.kind) {
    case 'chair':
      return `${chair} is double-booked ${when}`;
    case 'provider':
      return `${provider} is double-booked ${when}`;
    case 'patient':
      return `The patient has two appointments at once ${when}`;
    case 'outside_opening_hours':
      return `Outside opening hours ${when}`;
    case 'outside_working_hours':
      return `${provider} is not working ${when}`;
    case 'closure': {
      const closure = setup.closures.find((x) => x.id === c.resourceId);
      const scope = closure?.chairId
        ? `${setup.chairs.find((x) => x.id === closure.chairId)?.name ?? 'The chair'} is closed`
        : closure?.providerId
          ? `${setup.providers.find((x) => x.id === closure.providerId)?.name ?? 'The provider'} is away`
          : 'The clinic is closed';
      return `${scope} ${when}`;
    }
    case 'provider_not_qualified':
      return `${provider} does not do this type of appointment`;
    case 'unknown_resource':
      return `A chair, provider or type of this appointment is no longer set up`;
  }
}

/** The refusal for a booking with open conflicts: short, and it says what is in the way. */
export function clashMessage(conflicts: readonly Conflict[], setup: SchedulingSetup): string {
  const lines = conflicts.map((c) => describeConflict(c, setup));
  let text = `This clashes with the book: ${lines.join('; ')}.`;
  if (text.length > 400) text = `${text.slice(0, 396)}….`;
  return `${text} Give a reason to book it anyway.`;
}
