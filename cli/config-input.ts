// Reading the cluster configuration a command is given: FILE, or "-" for stdin, parsed
// as zeek-client parses it (sdk/config). Problems become one error line and null:
// nothing is sent to the controller for a file that cannot be used.

import * as fs from 'node:fs';
import type { Configuration } from '../sdk/model/schemas';
import type { CommandContext } from './command';

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** The text of FILE ("-": stdin), or null after an error line. */
export async function readConfigText(ctx: CommandContext, file: string | null | undefined): Promise<{ text: string; fileName: string } | null> {
  if (!file) {
    ctx.log.error('please provide a cluster configuration file.');
    return null;
  }
  let bytes: Buffer;
  let fileName = file;
  if (file === '-') {
    fileName = '<stdin>';
    bytes = await readStream(ctx.io.stdin);
  } else {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      ctx.log.error(`please provide a cluster configuration file: "${file}" does not exist`);
      return null;
    }
    if (!stat.isFile()) {
      ctx.log.error(`please provide a cluster configuration file: "${file}" is not a file`);
      return null;
    }
    try {
      bytes = fs.readFileSync(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      ctx.log.error(`cannot read cluster configuration file "${file}": ${e.code === 'EACCES' ? 'permission denied' : e.message}`);
      return null;
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), fileName };
  } catch {
    ctx.log.error(`cannot read cluster configuration file "${fileName}": not valid UTF-8 text`);
    return null;
  }
}

/**
 * The parsed configuration of FILE ("-": stdin), zeek-client's .ini format or the JSON
 * of get-config --as-json, or null after one error line.
 */
/**
 * What becomes of the file's warnings (unexpected keys, value-less keys): zeek-client's
 * commands log them at its warning level (shown with -v); plan, apply and drift show them
 * at any verbosity, and with --strict refuse the file.
 */
export type ConfigWarnings = 'zeek-client' | 'shown' | 'strict';

export async function loadConfiguration(ctx: CommandContext, file: string | null | undefined, warnings: ConfigWarnings = 'zeek-client', notSending = ', not sending'): Promise<Configuration | null> {
  const input = await readConfigText(ctx, file);
  if (input === null) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseConfigurationText } = require('../sdk/config/read-configuration-file') as typeof import('../sdk/config/read-configuration-file');
  const refused: string[] = [];
  let config: Configuration;
  try {
    config = parseConfigurationText(input.text, {
      fileName: input.fileName,
      onWarning: (w) => {
        if (warnings === 'zeek-client') ctx.log.warning(w.message);
        else if (warnings === 'shown') ctx.log.shown('warning', w.message);
        else refused.push(`section [${w.section}]: ${w.message.replace(/^ignoring /, '')}`);
      },
    });
  } catch (err) {
    const e = err as Error;
    if (e.name !== 'ConfigFileError') throw e;
    ctx.log.error(`configuration has errors${notSending}: ${e.message}`);
    return null;
  }
  if (refused.length === 0) return config;
  for (const r of refused) ctx.log.error(`configuration has errors (strict)${notSending}: ${r}`);
  return null;
}
