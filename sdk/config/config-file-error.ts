// The one error type for unusable cluster configuration files. Where zeek-client logs an
// error and gives up (or crashes with a Python exception), we raise this, naming the file,
// and where known the line, section and key. `reason` holds zeek-client's own wording
// where it has one, so a CLI can print it the way zeek-client does.

export interface ConfigLocation {
  /** The file name as given by the caller; '<string>' or '<stdin>' when not from a file. */
  fileName: string;
  /** The .ini section ([instances] or a node name), when the problem is inside one. */
  section?: string;
  /** The key inside the section, when the problem is about one. */
  key?: string;
  /** 1-based line number in the file, when known. */
  line?: number;
  /** For JSON input: the path of the offending field, e.g. nodes[2].port. */
  path?: string;
}

export function formatConfigLocation(loc: ConfigLocation): string {
  const parts = [loc.line !== undefined ? `${loc.fileName}, line ${loc.line}` : loc.fileName];
  if (loc.section !== undefined) parts.push(`section [${loc.section}]`);
  if (loc.key !== undefined) parts.push(`key "${loc.key}"`);
  if (loc.path !== undefined) parts.push(`field ${loc.path}`);
  return parts.join(', ');
}

export class ConfigFileError extends Error implements ConfigLocation {
  override readonly name = 'ConfigFileError';
  readonly fileName: string;
  readonly section?: string;
  readonly key?: string;
  readonly line?: number;
  readonly path?: string;

  constructor(location: ConfigLocation, readonly reason: string) {
    super(`${formatConfigLocation(location)}: ${reason}`);
    this.fileName = location.fileName;
    if (location.section !== undefined) this.section = location.section;
    if (location.key !== undefined) this.key = location.key;
    if (location.line !== undefined) this.line = location.line;
    if (location.path !== undefined) this.path = location.path;
  }
}

/** Something zeek-client warns about but accepts (unknown keys, an ignored state). */
export interface ConfigWarning extends ConfigLocation {
  /** zeek-client's warning text, e.g. 'ignoring unexpected keys: foo'. */
  message: string;
}

export function formatConfigWarning(w: ConfigWarning): string {
  return `${formatConfigLocation(w)}: ${w.message}`;
}
