import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeConflicts, conflictsByAppointment } from '../../../shared/scheduling';
import type { Appointment, Conflict } from '../../../shared/scheduling';
import { referenceConflicts, scheduleArb, shuffled } from './fixtures';

const PAIR_KINDS = new Set(['chair', 'provider', 'patient']);

describe('computeConflicts properties', () => {
  it('equals the brute-force reference on random schedules, DST days included', () => {
    fc.assert(
      fc.property(scheduleArb(), fc.array(fc.boolean(), { maxLength: 80 }), (s, pick) => {
        const reference = referenceConflicts(s.setup, s.appointments);
        // Accept a random subset of the real conflicts, plus one that no longer exists.
        const acks = reference.filter((_, i) => pick[i]).map((c) => c.id);
        acks.push('chair:gone:gone');
        const actual = computeConflicts({
          setup: s.setup,
          appointments: s.appointments,
          acknowledgements: acks.map((conflictId) => ({ conflictId })),
        });
        expect(actual).toEqual(referenceConflicts(s.setup, s.appointments, new Set(acks)));
      }),
      { numRuns: 200 },
    );
  });

  it('equals the reference when the appointments come in start order, as the book reads them', () => {
    fc.assert(
      fc.property(scheduleArb(), (s) => {
        const inOrder = [...s.appointments].sort((a, b) => a.start - b.start);
        expect(computeConflicts({ setup: s.setup, appointments: inOrder })).toEqual(
          referenceConflicts(s.setup, s.appointments),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order of any input list', () => {
    fc.assert(
      fc.property(scheduleArb(), fc.nat(), (s, seed) => {
        const acknowledgements = computeConflicts(s)
          .filter((_, i) => i % 2 === 0)
          .map((c) => ({ conflictId: c.id }));
        const expected = computeConflicts({ ...s, acknowledgements });
        const setup = {
          ...s.setup,
          chairs: shuffled(s.setup.chairs, seed),
          providers: shuffled(s.setup.providers, seed + 1),
          appointmentTypes: shuffled(s.setup.appointmentTypes, seed + 2),
          providerSchedules: shuffled(s.setup.providerSchedules, seed + 3),
          closures: shuffled(s.setup.closures, seed + 4),
        };
        const actual = computeConflicts({
          setup,
          appointments: shuffled(s.appointments, seed + 5),
          acknowledgements: shuffled(acknowledgements, seed + 6),
        });
        expect(actual).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('is symmetric: a clashes with b exactly when b clashes with a', () => {
    fc.assert(
      fc.property(scheduleArb(), (s) => {
        const found = computeConflicts(s);
        const byAppointment = conflictsByAppointment(found);
        const partners = (id: string, kind: string) =>
          new Set(
            (byAppointment.get(id) ?? [])
              .filter((c) => c.kind === kind)
              .flatMap((c) => c.appointmentIds.filter((x) => x !== id)),
          );
        for (const c of found) {
          if (!PAIR_KINDS.has(c.kind)) {
            expect(c.appointmentIds).toHaveLength(1);
            continue;
          }
          const [x, y] = c.appointmentIds as [string, string];
          expect(x < y).toBe(true);
          expect(partners(x, c.kind).has(y)).toBe(true);
          expect(partners(y, c.kind).has(x)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('treats appointments alike whatever their ids: swapping two ids swaps them in the output', () => {
    fc.assert(
      fc.property(
        scheduleArb().filter((s) => s.appointments.length >= 2),
        fc.nat(),
        fc.nat(),
        (s, i, j) => {
          const a = s.appointments[i % s.appointments.length]!;
          const b = s.appointments[j % s.appointments.length]!;
          const swap = (id: string) => (id === a.id ? b.id : id === b.id ? a.id : id);
          const relabelled: Appointment[] = s.appointments.map((x) => ({ ...x, id: swap(x.id) }));
          const key = (c: Conflict) =>
            `${c.kind}|${c.appointmentIds.map(swap).sort().join('+')}|${c.start}|${c.end}|${c.resourceId}`;
          const original = computeConflicts(s).map(key).sort();
          const swapped = computeConflicts({ setup: s.setup, appointments: relabelled })
            .map(
              (c) =>
                `${c.kind}|${c.appointmentIds.slice().sort().join('+')}|${c.start}|${c.end}|${c.resourceId}`,
            )
            .sort();
          expect(swapped).toEqual(original);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives output sorted by start, end and id, with unique ids', () => {
    fc.assert(
      fc.property(scheduleArb(), (s) => {
        const found = computeConflicts(s);
        expect(new Set(found.map((c) => c.id)).size).toBe(found.length);
        for (let k = 1; k < found.length; k++) {
          const p = found[k - 1]!;
          const c = found[k]!;
          expect(
            p.start < c.start ||
              (p.start === c.start && (p.end < c.end || (p.end === c.end && p.id < c.id))),
          ).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
