/** Command line of `npm run bench -- <suite> [--json] [--repeat N] [--quick] [--scale F] [suite options]`. */
export interface CliOptions {
  suite: string | undefined;
  json: boolean;
  repeat: number;
  quick: boolean;
  scale: number;
  help: boolean;
  /**
   * The suite's own options as given (flags listed in SUITE_FLAGS for the suite, each with its value),
   * in order; the suite parses them (e.g. `parseCliOptions(process.argv.slice(2)).suiteArgs`).
   */
  suiteArgs: string[];
}

/**
 * Options only one suite understands, by suite: each flag and whether it takes a value. They are
 * accepted after the suite's name and passed through in `suiteArgs`; any other unknown flag is an error.
 */
export const SUITE_FLAGS: Readonly<Record<string, Readonly<Record<string, 'value' | 'boolean'>>>> = {
  nexmark: {
    '--query': 'value',
    '--events': 'value',
    '--rate': 'value',
    '--parallelism': 'value',
    '--source': 'value',
    '--sink': 'value',
    '--engines': 'value',
    '--check': 'boolean',
    '--no-latency': 'boolean',
    '--cpu-prof': 'boolean',
  },
};

export const USAGE = `usage: npm run bench -- <suite> [--json] [--repeat N] [--quick] [--scale F]
  --json        one JSON object per result line on stdout (machine, load and bars go to stderr)
  --repeat N    measure every case N times and report medians (default 3)
  --quick       smoke run with tiny sizes (numbers are not meaningful)
  --scale F     multiply the default sizes and durations by F (e.g. 0.5 for a shorter run)
suite options (after the suite's name):
  nexmark: --query q0[,qN...] --events N --rate EVENTS_PER_S --parallelism P --source memory|log
           --sink blackhole|topic --engines rivulet-log,hand-loop,... --check --no-latency --cpu-prof
           (see docs/benchmarks.md, Nexmark)`;

/** Parses argv (without node and script); throws an Error with a readable message on bad input. */
export function parseCliOptions(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    suite: undefined,
    json: false,
    repeat: 3,
    quick: false,
    scale: 1,
    help: false,
    suiteArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split('=', 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--json':
        options.json = true;
        break;
      case '--quick':
        options.quick = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--repeat': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new Error('--repeat needs a positive integer');
        options.repeat = n;
        break;
      }
      case '--scale': {
        const f = Number(value());
        if (!(f > 0) || !Number.isFinite(f)) throw new Error('--scale needs a positive number');
        options.scale = f;
        break;
      }
      default: {
        const suiteFlag = options.suite === undefined ? undefined : SUITE_FLAGS[options.suite]?.[flag!];
        if (suiteFlag === 'boolean') {
          if (inline !== undefined) throw new Error(`${flag} takes no value`);
          options.suiteArgs.push(flag!);
          break;
        }
        if (suiteFlag === 'value') {
          options.suiteArgs.push(flag!, value());
          break;
        }
        if (flag!.startsWith('-')) throw new Error(`unknown option ${flag}`);
        if (options.suite !== undefined) throw new Error(`unexpected argument ${arg}`);
        options.suite = arg;
      }
    }
  }
  return options;
}
