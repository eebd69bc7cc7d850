// Pulls the JSON examples out of reStructuredText documents, so that tests can check
// the codec against the reference documentation itself rather than against copies.
//
// Two kinds are collected:
//  - the bodies of `.. code-block:: json` directives (a body that is a bare list of
//    object members, as the Broker docs show for vector and set, is wrapped in braces);
//  - JSON objects printed on single lines inside other code blocks (console
//    transcripts such as `Message from server:  {...}`), and handshakes typed into a
//    console (a line that is a JSON array of strings).

import * as fs from 'node:fs';

export interface RstJsonExample {
  /** File and 1-based line where the example starts, for failure messages. */
  where: string;
  /** The example's text as it stands in the document (wrapped in braces if it was a bare member list). */
  text: string;
  json: unknown;
  kind: 'json-block' | 'transcript-line';
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Lines of the directive body starting after `start` (indented deeper than the directive), dedented. */
function blockBody(lines: string[], start: number, directiveIndent: number): { body: string[]; end: number } {
  let i = start + 1;
  // directive options such as ":caption:" come first
  while (i < lines.length && /^\s+:[\w-]+:/.test(lines[i])) i++;
  const body: string[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() !== '' && indentOf(line) <= directiveIndent) break;
    body.push(line);
  }
  const nonBlank = body.filter((l) => l.trim() !== '');
  const cut = nonBlank.length ? Math.min(...nonBlank.map(indentOf)) : 0;
  return { body: body.map((l) => l.slice(cut)), end: i };
}

export function extractJsonExamples(file: string): RstJsonExample[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: RstJsonExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)\.\. code-block::\s*(\S+)/.exec(lines[i]);
    if (!m) continue;
    const { body, end } = blockBody(lines, i, m[1].length);
    const where = `${file}:${i + 1}`;
    if (m[2] === 'json') {
      let text = body.join('\n').trim();
      if (text.startsWith('"')) text = `{\n${text}\n}`;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`${where}: JSON code block does not parse: ${(e as Error).message}`);
      }
      out.push({ where, text, json, kind: 'json-block' });
    } else {
      body.forEach((line, k) => {
        // a handshake typed into a console: a line that is a JSON array of strings
        if (line.startsWith('[')) {
          try {
            const arr: unknown = JSON.parse(line.trim());
            if (Array.isArray(arr) && arr.every((t) => typeof t === 'string')) {
              out.push({ where: `${file}:${i + 2 + k}`, text: line.trim(), json: arr, kind: 'transcript-line' });
            }
          } catch { /* not JSON */ }
          return;
        }
        const brace = line.indexOf('{');
        if (brace < 0) return;
        const text = line.slice(brace).trim();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return; // not JSON (e.g. Zeek script or JavaScript)
        }
        if (typeof json === 'object' && json !== null && ('type' in json || '@data-type' in json)) {
          out.push({ where: `${file}:${i + 2 + k}`, text, json, kind: 'transcript-line' });
        }
      });
    }
    i = end - 1;
  }
  return out;
}
