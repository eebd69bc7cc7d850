// Names of nodes and instances become directory names (<state_dir>/nodes/<name>) and
// parts of Broker topics (zeek/management/agent/<name>). This is the rule that keeps
// every such name a single, harmless path component: nothing can escape the state
// directory, nothing is hidden, nothing reads as a command-line flag.

export const MAX_NAME_LENGTH = 255;

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Renders a name for an error message without letting control characters through. */
export function quoteName(name: string): string {
  const shown = name.length > 80 ? name.slice(0, 80) + '…' : name;
  return shown.replace(/[\u0000-\u001f\u007f-\u009f\\']/g, (c) => (c === "'" ? "\\'" : c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/**
 * Returns why `name` is not safe as a node or instance name, or null when it is.
 * `what` is "node" or "instance".
 */
export function nameSafetyError(name: string, what: 'node' | 'instance'): string | null {
  if (name === '') return `${what} name must not be empty`;
  if (name.length > MAX_NAME_LENGTH) return `${what} name '${quoteName(name)}' is longer than ${MAX_NAME_LENGTH} characters`;
  if (SAFE_NAME.test(name)) return null;
  let why: string;
  if (name === '.' || name === '..') why = 'it refers to a directory itself';
  else if (/[/\\]/.test(name)) why = 'it contains a path separator';
  else if (/[\u0000-\u001f\u007f]/.test(name)) why = 'it contains control characters';
  else if (name.startsWith('.')) why = "it starts with '.'";
  else if (name.startsWith('-')) why = "it starts with '-'";
  else why = "it contains characters other than letters, digits, '.', '_' and '-'";
  return `${what} name '${quoteName(name)}' is not usable as a directory name: ${why}`;
}

export function isSafeName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && SAFE_NAME.test(name);
}
