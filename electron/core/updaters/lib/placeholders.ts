import { UpkeepError } from '../../../../shared/errors';

export type Placeholders = Record<string, string>;

/** Substitute `{name}` placeholders in one argv item; unknown placeholders are an error, not a silent blank. */
export function substitute(template: string, values: Placeholders): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new UpkeepError(
        'INVALID_CONFIG',
        `Unknown placeholder ${whole} in "${template}". Known: ${Object.keys(values)
          .map((k) => `{${k}}`)
          .join(', ')}.`,
      );
    }
    return value;
  });
}

/**
 * Split an OctoPrint-style command string into argv words the way a POSIX shell splits words
 * (single and double quotes, backslash escapes) — without running a shell: no globbing, no
 * variables, no pipes. Placeholders are substituted per word after splitting, so a value with
 * spaces or quotes stays one argument.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command.charAt(i);
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < command.length && '"\\$`'.includes(command.charAt(i + 1))) word += command[++i];
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote)
    throw new UpkeepError(
      'INVALID_CONFIG',
      `Unclosed ${quote} quote in command "${command}". Close the quote or give the command as a list of arguments.`,
    );
  if (inWord) words.push(word);
  if (words.length === 0)
    throw new UpkeepError('INVALID_CONFIG', 'The command is empty. Give the program to run and its arguments.');
  return words;
}

/** A command given as a string or argv → argv with placeholders substituted per item. */
export function buildArgv(command: string | readonly string[], values: Placeholders): string[] {
  const words = typeof command === 'string' ? splitCommand(command) : [...command];
  return words.map((w) => substitute(w, values));
}
