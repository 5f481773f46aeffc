/** Staff roles. Least privilege: each command lists the roles that may call it. */
export const ROLES = ['receptionist', 'clinician', 'practice_manager', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  receptionist: 'Receptionist',
  clinician: 'Clinician',
  practice_manager: 'Practice manager',
  auditor: 'Head-office auditor',
};

/** Roles that work with patient demographics. */
export const FRONT_DESK: readonly Role[] = ['receptionist', 'clinician', 'practice_manager'];
