/**
 * Saves text as a file through the browser's own download (a Blob behind an <a download>): the
 * page never navigates, no network request is made, and the CSP has nothing to allow. A byte
 * order mark lets spreadsheet programs read the UTF-8 names correctly.
 */
export function downloadText(text: string, filename: string, type = 'text/csv'): void {
  const blob = new Blob(['\ufeff', text], { type: `${type};charset=utf-8` });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Some browsers read the Blob after click() returns: let it go once the download has begun.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
