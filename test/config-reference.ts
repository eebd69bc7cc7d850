// Locating the shared reference material (Zeek's docs with example .ini files and
// zeek-client transcripts). CI checks out shared/ beside the repository clone, as in
// the development layout: <root>/main (this repo) and <root>/shared/reference.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

export const REFERENCE_DIR = path.resolve(__dirname, '../../shared/reference');
export const MANAGEMENT_DOCS_DIR = path.join(REFERENCE_DIR, 'zeek-docs/frameworks/management');

function requireReferenceDir(): void {
  if (!existsSync(REFERENCE_DIR)) {
    throw new Error(`the shared reference directory ${REFERENCE_DIR} is missing: these tests need shared/reference checked out beside the repository clone`);
  }
}

/** Text of a file under shared/reference; fails clearly if absent. */
export function readReference(relative: string): string {
  requireReferenceDir();
  const file = path.join(REFERENCE_DIR, relative);
  if (!existsSync(file)) throw new Error(`reference file ${file} is missing`);
  return readFileSync(file, 'utf8');
}

/** The management docs file's text (e.g. 'mini-config.ini'). */
export function readManagementDoc(name: string): string {
  return readReference(path.join('zeek-docs/frameworks/management', name));
}

/** What a .console transcript shows the command printing: everything after the "$ command" line. */
export function transcriptOutput(name: string): { command: string; output: string } {
  const text = readManagementDoc(name);
  const nl = text.indexOf('\n');
  const command = text.slice(0, nl);
  if (!command.startsWith('$ ')) throw new Error(`${name} does not start with a "$ command" line`);
  return { command: command.slice(2), output: text.slice(nl + 1) };
}

/** Every .ini file under shared/reference, relative paths, sorted. */
export function referenceIniFiles(): string[] {
  requireReferenceDir();
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ini')) found.push(path.relative(REFERENCE_DIR, full));
    }
  };
  walk(REFERENCE_DIR);
  if (found.length === 0) throw new Error(`no .ini files under ${REFERENCE_DIR}`);
  return found.sort();
}
