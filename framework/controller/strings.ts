// Renderings for log lines, as Zeek's Management::result_to_string and
// result_vec_to_string (types.zeek) produce them, plus a guard that keeps
// client-supplied strings from bloating or corrupting log lines.

import { Result } from '../../sdk/model/records';

/** A client-supplied string as it may appear in a log line: bounded, control characters escaped. */
export function short(s: string, max = 200): string {
  const cut = s.length > max ? s.slice(0, max) + `…(${s.length} chars)` : s;
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function resultToString(res: Result): string {
  let result = res.success ? 'success' : res.error !== null ? `error (${short(res.error)})` : 'error';
  const details: string[] = [];
  if (res.reqid !== '') details.push(`reqid ${short(res.reqid)}`);
  if (res.instance !== null) details.push(`instance ${short(res.instance)}`);
  if (res.node !== null && res.node !== '') details.push(`node ${short(res.node)}`);
  if (details.length > 0) result = `${result} (${details.join(', ')})`;
  return result;
}

export function resultVecToString(results: Result[]): string {
  if (results.length > 50) {
    return results.slice(0, 50).map(resultToString).join(', ') + `, … (${results.length} results)`;
  }
  return results.map(resultToString).join(', ');
}
