/**
 * Every store that holds patient data registers its reset here, so signing out (or the core
 * ending the session) leaves nothing of a patient in memory or on screen.
 */
const resets = new Set<() => void>();

export function registerReset(reset: () => void): void {
  resets.add(reset);
}

export function clearPatientData(): void {
  for (const reset of resets) reset();
}
