/** Case- and diacritic-folded form of a name, the same fold FTS5's unicode61 tokenizer applies. */
export function foldText(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLocaleLowerCase('en-US');
}

/** Splits folded text into search tokens (letters and digits). */
export function tokenize(value: string): string[] {
  return foldText(value).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Strips ASCII control characters except tab and newline. */
export function stripControl(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}
