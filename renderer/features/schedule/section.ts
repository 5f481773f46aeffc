import { create } from 'zustand';
import type { Role } from '../../../shared/roles';
import { registerReset } from '../../stores/reset';

/** The main screens the top bar switches between. */
export type Section = 'schedule' | 'patients' | 'staff' | 'audit' | 'settings' | 'sync';

/**
 * Where a member of staff lands after signing in: the front desk and chairside live in the book;
 * the head-office auditor sees only the audit trail.
 */
export function homeSection(role: Role): Section {
  if (role === 'auditor') return 'audit';
  return role === 'receptionist' || role === 'clinician' ? 'schedule' : 'patients';
}

interface SectionState {
  /** Null until someone picks a screen: the role's home applies. */
  section: Section | null;
  go(section: Section): void;
}

export const useSection = create<SectionState>()((set) => ({
  section: null,
  go: (section) => set({ section }),
}));

// The next person to sign in starts on their own home screen.
registerReset(() => useSection.setState({ section: null }));
