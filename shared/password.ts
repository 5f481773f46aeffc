import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

let factory: ZxcvbnFactory | null = null;
function estimator(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  return factory;
}

export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn score (0-4) a staff password must reach. */
export const MIN_PASSWORD_SCORE = 3;

export interface PasswordStrength {
  score: number;
  acceptable: boolean;
  warning: string;
  suggestions: string[];
}

/** Strength check shared by the setup screen and the core, which enforces it. */
export function checkPasswordStrength(
  password: string,
  userInputs: string[] = [],
): PasswordStrength {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return {
      score: 0,
      acceptable: false,
      warning: `Use at least ${MIN_PASSWORD_LENGTH} characters.`,
      suggestions: ['A few unrelated words make a strong, memorable password.'],
    };
  }
  const result = estimator().check(password.slice(0, 200), userInputs);
  return {
    score: result.score,
    acceptable: result.score >= MIN_PASSWORD_SCORE,
    warning: result.feedback.warning ?? '',
    suggestions: result.feedback.suggestions,
  };
}
