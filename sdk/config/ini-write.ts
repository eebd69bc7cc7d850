// .ini text exactly as Python's configparser.write() lays it out for a
// ConfigParser(allow_no_value=True): "[section]", then one "key = value" line per key
// (a value-less key alone on its line), newlines inside a value continued with a tab,
// and an empty line after every section, the last one included.

export interface IniWriteSection {
  name: string;
  /** Keys in output order; a null value writes the bare key. */
  entries: [string, string | null][];
}

export function writeIni(sections: readonly IniWriteSection[]): string {
  let out = '';
  for (const s of sections) {
    out += `[${s.name}]\n`;
    for (const [key, value] of s.entries) {
      out += value === null ? `${key}\n` : `${key} = ${value.replace(/\n/g, '\n\t')}\n`;
    }
    out += '\n';
  }
  return out;
}
