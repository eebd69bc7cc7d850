// Reading a cluster configuration the way zeek-client's stage-config / deploy-config
// takes it: a file path, or "-" for standard input. Besides zeek-client's .ini format we
// accept the JSON layout of `get-config --as-json`; with format "auto" (the default) the
// text decides: JSON if its first non-blank character is "{" (no valid .ini file can
// start that way), .ini otherwise.

import { promises as fs } from 'node:fs';
import { Configuration } from '../model/schemas';
import { ConfigFileError } from './config-file-error';
import { parseConfigurationIni, ParseConfigurationOptions } from './configuration-from-ini';

export type ConfigurationFormat = 'ini' | 'json';

export interface ReadConfigurationOptions extends Omit<ParseConfigurationOptions, 'fileName'> {
  /** 'ini', 'json', or 'auto' (default): decided by the text. */
  format?: ConfigurationFormat | 'auto';
  /** Where "-" reads from; default process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

export function detectConfigurationFormat(text: string): ConfigurationFormat {
  return /^\ufeff?\s*\{/.test(text) ? 'json' : 'ini';
}

/** Parses configuration text in the given (or detected) format. Throws ConfigFileError. */
export function parseConfigurationText(
  text: string,
  opts: ParseConfigurationOptions & { format?: ConfigurationFormat | 'auto' } = {},
): Configuration {
  const format = opts.format === undefined || opts.format === 'auto' ? detectConfigurationFormat(text) : opts.format;
  if (format === 'ini') return parseConfigurationIni(text, opts);
  // The JSON reader validates with zod, which an .ini file does not need: loaded only here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseConfigurationJson } = require('./configuration-from-json') as typeof import('./configuration-from-json');
  return parseConfigurationJson(text, opts);
}

function decodeUtf8(bytes: Uint8Array, fileName: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigFileError({ fileName }, 'file is not valid UTF-8 text');
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Reads and parses a cluster configuration file; "-" reads standard input. Throws ConfigFileError. */
export async function readConfigurationFile(path: string, opts: ReadConfigurationOptions = {}): Promise<Configuration> {
  let bytes: Uint8Array;
  let fileName: string;
  if (path === '-') {
    fileName = '<stdin>';
    bytes = await readAll(opts.stdin ?? process.stdin);
  } else {
    fileName = path;
    // zeek-client's wording, with the reason added.
    const stat = await fs.stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigFileError({ fileName }, `please provide a cluster configuration file. (${err.code === 'ENOENT' ? 'no such file' : err.message})`);
    });
    if (!stat.isFile()) throw new ConfigFileError({ fileName }, 'please provide a cluster configuration file. (not a regular file)');
    bytes = await fs.readFile(path).catch((err: Error) => {
      throw new ConfigFileError({ fileName }, `cannot read the file: ${err.message}`);
    });
  }
  return parseConfigurationText(decodeUtf8(bytes, fileName), { ...opts, fileName });
}
