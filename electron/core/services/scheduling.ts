/**
 * The scheduling commands' handlers, for the Core's handler map: one line there
 * (`...schedulingHandlers(() => this.ctx())`) keeps core.ts free of scheduling detail.
 */
import type { CommandArgs, CommandOutput } from '../../../shared/ipc/command';
import type { schedulingCommands } from '../../../shared/ipc/scheduling';
import type { ServiceContext } from './context';
import * as book from './scheduling-book';
import * as conflicts from './scheduling-conflicts';
import * as recall from './scheduling-recall';
import * as setup from './scheduling-setup';
import * as waitlist from './scheduling-waitlist';

type SchedulingCommands = typeof schedulingCommands;
export type SchedulingHandlers = {
  [N in keyof SchedulingCommands]: (
    args: CommandArgs<SchedulingCommands[N]>,
  ) => Promise<CommandOutput<SchedulingCommands[N]>>;
};

export function schedulingHandlers(ctx: () => ServiceContext): SchedulingHandlers {
  return {
    'scheduling.setup': () => setup.loadSetup(ctx()),
    'scheduling.saveChair': (a) => setup.saveChair(ctx(), a.chair),
    'scheduling.saveProvider': (a) => setup.saveProvider(ctx(), a.provider),
    'scheduling.saveType': (a) => setup.saveType(ctx(), a.type),
    'scheduling.setOpeningHours': (a) => setup.setOpeningHours(ctx(), a.openingHours),
    'scheduling.setProviderSchedule': (a) =>
      setup.setProviderSchedule(ctx(), a.providerId, a.schedule),
    'scheduling.setProviderDay': (a) => setup.setProviderDay(ctx(), a.providerId, a.date, a.day),
    'scheduling.saveClosure': (a) => setup.saveClosure(ctx(), a.closure),
    'scheduling.removeClosure': (a) => setup.removeClosure(ctx(), a.id),
    'scheduling.setPolicy': (a) => setup.setPolicy(ctx(), a.lateCancellation),

    'appointments.range': (a) => book.bookRange(ctx(), a.from, a.days),
    'appointments.get': (a) => book.getAppointment(ctx(), a.id),
    'appointments.forPatient': (a) => book.patientSchedule(ctx(), a.patientId),
    'appointments.check': (a) => book.checkBooking(ctx(), a.appointment),
    'appointments.book': (a) => book.book(ctx(), a.appointment, a.override),
    'appointments.update': (a) => book.updateAppointment(ctx(), a.id, a.changes, a.override),
    'appointments.setStatus': (a) => book.setStatus(ctx(), a.id, a.status, a.override),
    'appointments.cancel': (a) => book.cancelAppointment(ctx(), a.id, a.reason, a.by),
    'appointments.freeSlots': (a) => book.freeSlots(ctx(), a),

    'conflicts.list': (a) => conflicts.listConflicts(ctx(), a.from, a.to, a.includeAccepted),
    'conflicts.accept': (a) => conflicts.acceptConflict(ctx(), a.conflictId, a.reason),

    'waitlist.list': () => waitlist.listWaitlist(ctx()),
    'waitlist.add': (a) => waitlist.addToWaitlist(ctx(), a.entry),
    'waitlist.remove': (a) => waitlist.removeFromWaitlist(ctx(), a.id),
    'waitlist.offers': (a) => waitlist.waitlistOffers(ctx(), a),
    'waitlist.book': (a) => waitlist.bookFromWaitlist(ctx(), a),

    'recalls.list': (a) => recall.listRecalls(ctx(), a.until, a.includeBooked, a.limit),
    'recalls.set': (a) => recall.setRecall(ctx(), a),
    'recalls.stop': (a) => recall.stopRecall(ctx(), a.id),
  };
}
