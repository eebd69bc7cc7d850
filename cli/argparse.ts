// A small command-line parser with Python argparse's behaviour and output: the same
// usage and help layout (wrapping, columns, mutually exclusive groups, sub-commands),
// the same error messages ("argument -c/--configfile: expected one argument"), long
// option abbreviations, combined short flags (-vvv), `--opt=value` and `-oVALUE`.
// zeek-client is an argparse program; operators' scripts and eyes rely on this.

export type Action = 'store' | 'store_true' | 'store_false' | 'count' | 'append' | 'help';
export type Nargs = 1 | '?' | '*' | 'remainder';

export interface OptionSpec {
  /** Option strings in declaration order, e.g. ['-c', '--configfile']. */
  flags: string[];
  dest?: string;
  action?: Action;
  metavar?: string;
  default?: unknown;
  help?: string;
  choices?: readonly string[];
}

export interface PositionalSpec {
  dest: string;
  metavar?: string;
  nargs?: Nargs;
  default?: unknown;
  help?: string;
  choices?: readonly string[];
}

interface OptionDef extends OptionSpec {
  kind: 'option';
  dest: string;
  action: Action;
  group?: MutexGroup;
}

interface PositionalDef extends PositionalSpec {
  kind: 'positional';
  nargs: Nargs;
}

interface MutexGroup {
  members: OptionDef[];
}

export type Namespace = Record<string, unknown>;

export interface SubcommandSpec {
  help?: string;
  /** Left out of usage and help listings (still accepted). */
  hidden?: boolean;
  /** Everything after the command name goes to the command unparsed (in `args`). */
  passthrough?: boolean;
  /** Printed as-is after the command's argument sections. */
  epilog?: string;
}

interface Subcommands {
  title: string;
  dest: string;
  help?: string;
  parsers: Map<string, ArgumentParser>;
  specs: Map<string, SubcommandSpec>;
}

/** A usage error: print `parser.formatUsage()` and `prog: error: message` to stderr, exit 2. */
export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
  constructor(readonly parser: ArgumentParser, message: string) {
    super(message);
  }
}

/** -h/--help: print `parser.formatHelp()` to stdout, exit 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(readonly parser: ArgumentParser) {
    super('help requested');
  }
}

export interface ParserOptions {
  prog: string;
  description?: string;
  /** Printed as-is after the argument sections (RawDescriptionHelpFormatter). */
  epilog?: string;
  /** Help width in columns (argparse: terminal columns - 2). */
  width?: number;
}

const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

export class ArgumentParser {
  readonly options: OptionDef[] = [];
  readonly positionals: PositionalDef[] = [];
  private subcommands?: Subcommands;
  private readonly optionMap = new Map<string, OptionDef>();
  private parent?: ArgumentParser;

  constructor(readonly config: ParserOptions) {
    this.addOption({ flags: ['-h', '--help'], action: 'help', help: 'show this help message and exit' });
  }

  get prog(): string {
    return this.config.prog;
  }

  addOption(spec: OptionSpec): this {
    const long = spec.flags.find((f) => f.startsWith('--'));
    const dest = spec.dest ?? (long ?? spec.flags[0]).replace(/^-+/, '').replace(/-/g, '_');
    const action = spec.action ?? 'store';
    const def: OptionDef = { ...spec, kind: 'option', dest, action };
    if (def.default === undefined) {
      if (action === 'store_true') def.default = false;
      else if (action === 'store_false') def.default = true;
      else if (action === 'append') def.default = [];
      else def.default = null;
    }
    for (const f of spec.flags) {
      if (this.optionMap.has(f)) throw new Error(`option string ${f} defined twice`);
      this.optionMap.set(f, def);
    }
    this.options.push(def);
    return this;
  }

  /** Options of which at most one may be given. */
  addMutuallyExclusive(specs: OptionSpec[]): this {
    const group: MutexGroup = { members: [] };
    for (const s of specs) {
      this.addOption(s);
      const def = this.options[this.options.length - 1];
      def.group = group;
      group.members.push(def);
    }
    return this;
  }

  addPositional(spec: PositionalSpec): this {
    this.positionals.push({ ...spec, kind: 'positional', nargs: spec.nargs ?? 1 });
    return this;
  }

  addSubcommands(opts: { title: string; dest: string; help?: string }): this {
    this.subcommands = { ...opts, parsers: new Map(), specs: new Map() };
    return this;
  }

  addSubcommand(name: string, spec: SubcommandSpec = {}): ArgumentParser {
    if (!this.subcommands) throw new Error('addSubcommands() first');
    const prefix = [this.prog, ...this.positionals.map((p) => this.positionalUsage(p))].join(' ');
    const sub = new ArgumentParser({ prog: `${prefix} ${name}`, width: this.config.width, epilog: spec.epilog });
    sub.parent = this;
    this.subcommands.parsers.set(name, sub);
    this.subcommands.specs.set(name, spec);
    return sub;
  }

  subcommand(name: string): ArgumentParser | undefined {
    return this.subcommands?.parsers.get(name);
  }

  private root(): ArgumentParser {
    let p: ArgumentParser = this;
    while (p.parent) p = p.parent;
    return p;
  }

  // ---- parsing -------------------------------------------------------------------

  /** Parses argv (without node and script). Throws ArgumentError or HelpRequested. */
  parse(argv: readonly string[]): Namespace {
    const ns: Namespace = {};
    const extras: string[] = [];
    this.parseInto(argv, ns, extras);
    if (extras.length > 0) throw new ArgumentError(this, `unrecognized arguments: ${extras.join(' ')}`);
    return ns;
  }

  private parseInto(argv: readonly string[], ns: Namespace, extras: string[]): void {
    for (const o of this.options) {
      if (o.action === 'help') continue;
      if (!(o.dest in ns)) ns[o.dest] = Array.isArray(o.default) ? [...o.default] : o.default;
    }
    for (const p of this.positionals) {
      if (!(p.dest in ns)) ns[p.dest] = p.default ?? (p.nargs === '*' || p.nargs === 'remainder' ? [] : null);
    }
    if (this.subcommands && !(this.subcommands.dest in ns)) ns[this.subcommands.dest] = null;

    const positionalArgs: string[] = [];
    const seen = new Set<OptionDef>();
    let i = 0;
    const takesRest = (): boolean => {
      const last = this.positionals[positionalArgs.length];
      return last?.nargs === 'remainder';
    };
    while (i < argv.length) {
      const arg = argv[i];
      if (takesRest()) {
        positionalArgs.push(...argv.slice(i));
        break;
      }
      if (arg === '--') {
        positionalArgs.push(...argv.slice(i + 1));
        i = argv.length;
        break;
      }
      const opt = this.classify(arg);
      if (opt === null) {
        // A positional. With sub-commands, the first positional past our own names the
        // command and everything after it belongs to that command.
        if (this.subcommands && positionalArgs.length >= this.positionals.length) {
          this.dispatch(arg, argv.slice(i + 1), ns, extras);
          break;
        }
        positionalArgs.push(arg);
        i++;
        continue;
      }
      if (opt === 'unknown') {
        extras.push(arg);
        i++;
        continue;
      }
      i = this.consumeOption(opt.def, opt.flag, opt.explicit, argv, i, ns, seen);
    }
    this.assignPositionals(positionalArgs, ns, extras);
  }

  private dispatch(name: string, rest: readonly string[], ns: Namespace, extras: string[]): void {
    const subs = this.subcommands as Subcommands;
    const sub = subs.parsers.get(name);
    if (!sub) {
      const choices = this.visibleSubcommands().map(pyRepr).join(', ');
      throw new ArgumentError(this, `argument ${subs.dest}: invalid choice: ${pyRepr(name)} (choose from ${choices})`);
    }
    ns[subs.dest] = name;
    if (subs.specs.get(name)?.passthrough) {
      ns.args = [...rest];
      return;
    }
    sub.parseInto(rest, ns, extras);
  }

  private classify(arg: string): { def: OptionDef; flag: string; explicit: string | null } | 'unknown' | null {
    if (!arg.startsWith('-') || arg === '-') return null;
    const exact = this.optionMap.get(arg);
    if (exact) return { def: exact, flag: arg, explicit: null };
    if (arg.includes('=')) {
      const [flag, value] = splitOnce(arg, '=');
      const def = this.optionMap.get(flag);
      if (def) return { def, flag, explicit: value };
    }
    const matches = this.abbreviations(arg);
    if (matches.length > 1) {
      const names = matches.map((m) => m.flag).join(', ');
      throw new ArgumentError(this, `ambiguous option: ${arg.split('=')[0]} could match ${names}`);
    }
    if (matches.length === 1) return matches[0];
    if (NEGATIVE_NUMBER.test(arg)) return null;
    if (arg.includes(' ')) return null;
    return 'unknown';
  }

  private abbreviations(arg: string): Array<{ def: OptionDef; flag: string; explicit: string | null }> {
    const out: Array<{ def: OptionDef; flag: string; explicit: string | null }> = [];
    if (arg.startsWith('--')) {
      const [prefix, value] = arg.includes('=') ? splitOnce(arg, '=') : [arg, null];
      for (const [flag, def] of this.optionMap) {
        if (flag.startsWith(prefix)) out.push({ def, flag, explicit: value });
      }
    } else {
      const short = arg.slice(0, 2);
      const rest = arg.slice(2);
      for (const [flag, def] of this.optionMap) {
        if (flag === short) out.push({ def, flag, explicit: rest });
        else if (flag.startsWith(arg)) out.push({ def, flag, explicit: null });
      }
    }
    return out;
  }

  private consumeOption(def: OptionDef, flag: string, explicit: string | null, argv: readonly string[], i: number, ns: Namespace, seen: Set<OptionDef>): number {
    let next = i + 1;
    let current: OptionDef = def;
    let currentFlag = flag;
    let explicitArg = explicit;
    for (;;) {
      this.checkConflicts(current, seen);
      seen.add(current);
      if (current.action === 'help') throw new HelpRequested(this);
      const takesValue = current.action === 'store' || current.action === 'append';
      if (!takesValue) {
        if (explicitArg !== null && explicitArg !== '' && !currentFlag.startsWith('--')) {
          // Combined short flags: -vvv, -qv.
          this.applyFlag(current, ns);
          const nextFlag = currentFlag[0] + explicitArg[0];
          const nextDef = this.optionMap.get(nextFlag);
          if (!nextDef) throw new ArgumentError(this, `argument ${displayName(current)}: ignored explicit argument ${pyRepr(explicitArg)}`);
          current = nextDef;
          currentFlag = nextFlag;
          explicitArg = explicitArg.length > 1 ? explicitArg.slice(1) : null;
          continue;
        }
        if (explicitArg !== null) throw new ArgumentError(this, `argument ${displayName(current)}: ignored explicit argument ${pyRepr(explicitArg)}`);
        this.applyFlag(current, ns);
        return next;
      }
      let value: string;
      if (explicitArg !== null) value = explicitArg;
      else {
        const candidate = argv[next];
        if (candidate === undefined || candidate === '--' || this.classify(candidate) !== null) {
          throw new ArgumentError(this, `argument ${displayName(current)}: expected one argument`);
        }
        value = candidate;
        next++;
      }
      if (current.choices && !current.choices.includes(value)) {
        throw new ArgumentError(this, `argument ${displayName(current)}: invalid choice: ${pyRepr(value)} (choose from ${current.choices.map(pyRepr).join(', ')})`);
      }
      if (current.action === 'append') (ns[current.dest] as string[]).push(value);
      else ns[current.dest] = value;
      return next;
    }
  }

  private applyFlag(def: OptionDef, ns: Namespace): void {
    if (def.action === 'store_true') ns[def.dest] = true;
    else if (def.action === 'store_false') ns[def.dest] = false;
    else if (def.action === 'count') ns[def.dest] = ((ns[def.dest] as number | null) ?? 0) + 1;
  }

  private checkConflicts(def: OptionDef, seen: Set<OptionDef>): void {
    if (!def.group) return;
    for (const other of def.group.members) {
      if (other !== def && seen.has(other)) {
        throw new ArgumentError(this, `argument ${displayName(def)}: not allowed with argument ${displayName(other)}`);
      }
    }
  }

  private assignPositionals(args: string[], ns: Namespace, extras: string[]): void {
    const required = this.positionals.filter((p) => p.nargs === 1).length;
    let optionalSlots = Math.max(0, args.length - required);
    let k = 0;
    const missing: string[] = [];
    for (const p of this.positionals) {
      if (p.nargs === 1) {
        if (k < args.length) ns[p.dest] = this.checkChoice(p, args[k++]);
        else missing.push(displayName(p));
      } else if (p.nargs === '?') {
        if (optionalSlots > 0 && k < args.length) {
          ns[p.dest] = this.checkChoice(p, args[k++]);
          optionalSlots--;
        }
      } else {
        const take = p.nargs === 'remainder' ? args.length - k : Math.max(0, args.length - k - this.positionals.slice(this.positionals.indexOf(p) + 1).filter((q) => q.nargs === 1).length);
        ns[p.dest] = args.slice(k, k + take);
        k += take;
        optionalSlots = 0;
      }
    }
    if (missing.length > 0) throw new ArgumentError(this, `the following arguments are required: ${missing.join(', ')}`);
    extras.push(...args.slice(k));
  }

  private checkChoice(p: PositionalDef, value: string): string {
    if (p.choices && !p.choices.includes(value)) {
      throw new ArgumentError(this, `argument ${displayName(p)}: invalid choice: ${pyRepr(value)} (choose from ${p.choices.map(pyRepr).join(', ')})`);
    }
    return value;
  }

  // ---- usage and help ---------------------------------------------------------------

  private get width(): number {
    return this.config.width ?? this.root().config.width ?? 78;
  }

  private positionalUsage(p: PositionalDef): string {
    const m = p.metavar ?? p.dest;
    switch (p.nargs) {
      case '?': return `[${m}]`;
      case '*': return `[${m} ...]`;
      case 'remainder': return '...';
      default: return m;
    }
  }

  private visibleSubcommands(): string[] {
    if (!this.subcommands) return [];
    return [...this.subcommands.parsers.keys()].filter((n) => !this.subcommands?.specs.get(n)?.hidden);
  }

  private subcommandsMetavar(): string {
    return `{${this.visibleSubcommands().join(',')}}`;
  }

  private optionUsageParts(): string[] {
    const parts: string[] = [];
    const done = new Set<MutexGroup>();
    for (const o of this.options) {
      if (o.group) {
        if (done.has(o.group)) continue;
        done.add(o.group);
        parts.push(`[${o.group.members.map((m) => this.optionInvocationShort(m)).join(' | ')}]`);
        continue;
      }
      parts.push(`[${this.optionInvocationShort(o)}]`);
    }
    return parts;
  }

  private optionInvocationShort(o: OptionDef): string {
    const flag = o.flags[0];
    return takesValue(o) ? `${flag} ${this.optionMetavar(o)}` : flag;
  }

  private optionMetavar(o: OptionDef): string {
    if (o.metavar) return o.metavar;
    if (o.choices) return `{${o.choices.join(',')}}`;
    return o.dest.toUpperCase();
  }

  private positionalUsageParts(): string[] {
    const parts = this.positionals.map((p) => this.positionalUsage(p));
    if (this.subcommands) parts.push(this.subcommandsMetavar(), '...');
    return parts;
  }

  /** argparse's `usage: ...` line(s), wrapped as argparse wraps them. */
  formatUsage(): string {
    const prefix = 'usage: ';
    const prog = this.prog;
    const opt = this.optionUsageParts();
    const pos = this.positionalUsageParts();
    const full = [prog, ...opt, ...pos].join(' ');
    const textWidth = this.width;
    if (prefix.length + full.length <= textWidth) return `${prefix}${full}\n`;

    const getLines = (parts: string[], indent: string, pre?: string): string[] => {
      const lines: string[] = [];
      let line: string[] = [];
      let lineLen = pre !== undefined ? pre.length - 1 : indent.length - 1;
      for (const part of parts) {
        if (lineLen + 1 + part.length > textWidth && line.length > 0) {
          lines.push(indent + line.join(' '));
          line = [];
          lineLen = indent.length - 1;
        }
        line.push(part);
        lineLen += part.length + 1;
      }
      if (line.length > 0) lines.push(indent + line.join(' '));
      if (pre !== undefined && lines.length > 0) lines[0] = lines[0].slice(indent.length);
      return lines;
    };

    let lines: string[];
    if (prefix.length + prog.length <= 0.75 * textWidth) {
      const indent = ' '.repeat(prefix.length + prog.length + 1);
      if (opt.length > 0) {
        lines = getLines([prog, ...opt], indent, prefix);
        lines.push(...getLines(pos, indent));
      } else if (pos.length > 0) {
        lines = getLines([prog, ...pos], indent, prefix);
      } else {
        lines = [prog];
      }
    } else {
      const indent = ' '.repeat(prefix.length);
      const parts = [...opt, ...pos];
      lines = getLines(parts, indent);
      if (lines.length > 1) {
        lines = [];
        lines.push(...getLines(opt, indent));
        lines.push(...getLines(pos, indent));
      }
      lines = [prog, ...lines];
    }
    return `${prefix}${lines.join('\n')}\n`;
  }

  private optionInvocation(o: OptionDef): string {
    if (!takesValue(o)) return o.flags.join(', ');
    const m = this.optionMetavar(o);
    return o.flags.map((f) => `${f} ${m}`).join(', ');
  }

  /** The full help text, laid out as argparse's HelpFormatter does. */
  formatHelp(): string {
    const width = this.width;
    const maxHelpPosition = Math.min(24, Math.max(width - 20, 4));
    interface Item { invocation: string; help?: string; indent: number }
    const sections: Array<{ title: string; items: Item[] }> = [];
    const positionalItems: Item[] = this.positionals.map((p) => ({ invocation: p.metavar ?? p.dest, help: p.help, indent: 2 }));
    const optionItems: Item[] = this.options.map((o) => ({ invocation: this.optionInvocation(o), help: o.help, indent: 2 }));
    sections.push({ title: 'positional arguments', items: positionalItems });
    sections.push({ title: 'options', items: optionItems });
    if (this.subcommands) {
      const items: Item[] = [{ invocation: this.subcommandsMetavar(), help: this.subcommands.help?.replace(/%\(prog\)s/g, this.prog), indent: 2 }];
      for (const name of this.visibleSubcommands()) {
        const spec = this.subcommands.specs.get(name);
        if (spec?.help) items.push({ invocation: name, help: spec.help, indent: 4 });
      }
      sections.push({ title: this.subcommands.title, items });
    }

    let maxLen = 0;
    for (const s of sections) for (const it of s.items) maxLen = Math.max(maxLen, it.invocation.length + it.indent);
    const helpPosition = Math.min(maxLen + 2, maxHelpPosition);
    const helpWidth = Math.max(width - helpPosition, 11);

    const out: string[] = [this.formatUsage()];
    if (this.config.description) out.push('', wrapParagraphs(this.config.description, width));
    for (const s of sections) {
      if (s.items.length === 0) continue;
      out.push('', `${s.title}:`);
      for (const it of s.items) {
        const actionWidth = helpPosition - it.indent - 2;
        const helpLines = it.help ? wrapText(it.help, helpWidth) : [];
        let first: string;
        if (helpLines.length === 0) first = ' '.repeat(it.indent) + it.invocation;
        else if (it.invocation.length <= actionWidth) {
          first = ' '.repeat(it.indent) + it.invocation.padEnd(actionWidth) + '  ' + helpLines.shift();
        } else {
          first = ' '.repeat(it.indent) + it.invocation;
        }
        out.push(first);
        for (const l of helpLines) out.push(' '.repeat(helpPosition) + l);
      }
    }
    if (this.config.epilog) out.push('', this.config.epilog);
    const text = out.join('\n').replace(/\n\n\n+/g, '\n\n').replace(/^\n+|\n+$/g, '');
    return `${text}\n`;
  }
}

function takesValue(o: OptionDef): boolean {
  return o.action === 'store' || o.action === 'append';
}

function displayName(a: OptionDef | PositionalDef): string {
  if (a.kind === 'option') return a.flags.join('/');
  return a.metavar ?? a.dest;
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return [s.slice(0, i), s.slice(i + sep.length)];
}

/** Python's repr() of a str: single quotes unless the text holds one and no double quote. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function wrapParagraphs(text: string, width: number): string {
  return wrapText(text, width).join('\n');
}

const LETTER = /^[^\d\W_]$/u;
const isLetter = (c: string | undefined): boolean => c !== undefined && (LETTER.test(c) || /^\p{L}$/u.test(c));

/** Splits a word after hyphens that join letters, as textwrap's break_on_hyphens does. */
function hyphenChunks(word: string): string[] {
  const chunks: string[] = [];
  let start = 0;
  for (let i = start + 1; i < word.length - 1; i++) {
    if (word[i] !== '-' || i === start) continue;
    const before = (isLetter(word[i - 1]) && isLetter(word[i - 2]) && i - 2 >= start)
      || (isLetter(word[i - 1]) && word[i - 2] === '-' && isLetter(word[i - 3]) && i - 3 >= start);
    const after = isLetter(word[i + 1]) && (isLetter(word[i + 2]) || (word[i + 2] === '-' && isLetter(word[i + 3])));
    if (before && after) {
      chunks.push(word.slice(start, i + 1));
      start = i + 1;
    }
  }
  chunks.push(word.slice(start));
  return chunks;
}

/** textwrap.wrap() after collapsing whitespace, as argparse formats help strings. */
export function wrapText(text: string, width: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter((w) => w.length > 0);
  const chunks: string[] = [];
  words.forEach((w, i) => {
    if (i > 0) chunks.push(' ');
    chunks.push(...hyphenChunks(w));
  });
  chunks.reverse();
  const lines: string[] = [];
  while (chunks.length > 0) {
    const cur: string[] = [];
    let len = 0;
    if (chunks[chunks.length - 1] === ' ' && lines.length > 0) chunks.pop();
    while (chunks.length > 0) {
      const l = chunks[chunks.length - 1].length;
      if (len + l > width) break;
      cur.push(chunks.pop() as string);
      len += l;
    }
    if (chunks.length > 0 && chunks[chunks.length - 1].length > width) {
      const spaceLeft = Math.max(1, width - len);
      const c = chunks[chunks.length - 1];
      cur.push(c.slice(0, spaceLeft));
      chunks[chunks.length - 1] = c.slice(spaceLeft);
    }
    if (cur.length > 0 && cur[cur.length - 1] === ' ') cur.pop();
    if (cur.length > 0) lines.push(cur.join(''));
  }
  return lines;
}
