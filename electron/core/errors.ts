import { AppError } from '../../shared/errors';

/** The store file could not be decrypted with the key we hold (or uses another cipher). */
export const wrongKey = () =>
  new AppError(
    'STORE_WRONG_KEY',
    'The data file could not be opened with this key. It has not been changed.',
  );
export const notEncrypted = () =>
  new AppError(
    'STORE_NOT_ENCRYPTED',
    'The data file is not encrypted, so Enamel refuses to open it.',
  );
export const corrupt = (detail = '') =>
  new AppError(
    'STORE_CORRUPT',
    `The data file is damaged or has been tampered with${detail ? ` (${detail})` : ''}. Restore it from a backup.`,
  );
export const notSignedIn = () => new AppError('NOT_SIGNED_IN', 'Please sign in first.');
export const notFound = (what: string) =>
  new AppError('NOT_FOUND', `${what} was not found. It may have been removed.`);
