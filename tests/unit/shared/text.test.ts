import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldText, stripControl, tokenize } from '../../../shared/text';

describe('foldText', () => {
  it('folds case and diacritics the way front-desk staff type names', () => {
    expect(foldText('Zoë Müller')).toBe('zoe muller');
    expect(foldText('ZOË MÜLLER')).toBe('zoe muller');
    expect(foldText('Siobhán Ó Súilleabháin')).toBe('siobhan o suilleabhain');
    expect(foldText('François Lefèvre-Çelik')).toBe('francois lefevre-celik');
    expect(foldText('Ångström')).toBe('angstrom');
    expect(foldText('Dvořák')).toBe('dvorak');
  });

  it('gives the same result for composed and decomposed input', () => {
    expect(foldText('Zoe\u0308 Mu\u0308ller')).toBe('zoe muller');
    expect(foldText('Zo\u00eb')).toBe(foldText('Zoe\u0308'));
  });

  it('unfolds compatibility forms (ligatures, full-width letters)', () => {
    expect(foldText('ﬁnn')).toBe('finn');
    expect(foldText('ＡＢＣ')).toBe('abc');
  });

  it('leaves scripts without case alone', () => {
    expect(foldText('محمد')).toBe('محمد');
    expect(foldText('田中')).toBe('田中');
  });

  it('is idempotent and never leaves combining marks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (s) => {
        const once = foldText(s);
        expect(foldText(once)).toBe(once);
        expect(once).not.toMatch(/\p{M}/u);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tokenize', () => {
  it('splits folded text into letter-and-digit tokens', () => {
    expect(tokenize("O'Brien-Smith, Zoë")).toEqual(['o', 'brien', 'smith', 'zoe']);
    expect(tokenize('  Chart A-1001  ')).toEqual(['chart', 'a', '1001']);
    expect(tokenize('"*^:() NEAR(a b) OR -x')).toEqual(['near', 'a', 'b', 'or', 'x']);
    expect(tokenize('🦷 \u202e')).toEqual([]);
  });
});

describe('stripControl', () => {
  it('removes ASCII control characters but keeps tabs and line breaks', () => {
    expect(stripControl('a\u0000b\u0007c\u001bd\u007fe')).toBe('abcde');
    expect(stripControl('line 1\nline 2\tcol\r\nline 3')).toBe('line 1\nline 2\tcol\r\nline 3');
    expect(stripControl('\u000b\u000c')).toBe('');
  });

  it('keeps every printable character, including bidi marks and emoji', () => {
    const text = 'Zoë \u202eevil\u202c 🦷 <b>&amp;</b> \'"; DROP';
    expect(stripControl(text)).toBe(text);
  });

  it('never leaves a C0 control other than tab, newline and carriage return', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(stripControl(s)).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
      }),
      { numRuns: 1000 },
    );
  });
});
