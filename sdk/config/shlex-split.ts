// Shell-like splitting with the rules of Python's shlex.split(s) (POSIX mode, no comment
// characters), which zeek-client uses for the `scripts` and `env` values of a node:
//   - whitespace is space, tab, CR and LF only; runs of it separate words;
//   - single quotes keep everything literally up to the next single quote;
//   - double quotes keep everything literally, except that a backslash before `"` or `\`
//     escapes it (before any other character the backslash stays);
//   - outside quotes a backslash escapes the next character, whatever it is;
//   - quoted parts join adjacent text into one word, and an empty quoted word ('' or "")
//     is kept as an empty string.

/** Raised for unterminated quotes or a trailing backslash, with Python's messages. */
export class ShlexError extends Error {
  override readonly name = 'ShlexError';
}

const WHITESPACE = ' \t\r\n';

export function shlexSplit(s: string): string[] {
  const words: string[] = [];
  let token = '';
  let inWord = false; // a word has started (possibly an empty quoted one)
  let i = 0;
  while (i < s.length) {
    const ch = s[i++];
    if (WHITESPACE.includes(ch)) {
      if (inWord) words.push(token);
      token = '';
      inWord = false;
    } else if (ch === '\\') {
      if (i >= s.length) throw new ShlexError('No escaped character');
      token += s[i++];
      inWord = true;
    } else if (ch === "'") {
      const close = s.indexOf("'", i);
      if (close < 0) throw new ShlexError('No closing quotation');
      token += s.slice(i, close);
      i = close + 1;
      inWord = true;
    } else if (ch === '"') {
      for (;;) {
        if (i >= s.length) throw new ShlexError('No closing quotation');
        const c = s[i++];
        if (c === '"') break;
        if (c === '\\') {
          if (i >= s.length) throw new ShlexError('No escaped character');
          const next = s[i++];
          if (next !== '"' && next !== '\\') token += '\\';
          token += next;
        } else token += c;
      }
      inWord = true;
    } else {
      token += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(token);
  return words;
}
