/** Command line of `npm run bench -- <suite> [--json] [--repeat N] [--quick] [--scale F]`. */
export interface CliOptions {
  suite: string | undefined;
  json: boolean;
  repeat: number;
  quick: boolean;
  scale: number;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- <suite> [--json] [--repeat N] [--quick] [--scale F]
  --json        one JSON object per result line on stdout (machine, load and bars go to stderr)
  --repeat N    measure every case N times and report medians (default 3)
  --quick       smoke run with tiny sizes (numbers are not meaningful)
  --scale F     multiply the default sizes and durations by F (e.g. 0.5 for a shorter run)`;

/** Parses argv (without node and script); throws an Error with a readable message on bad input. */
export function parseCliOptions(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    suite: undefined,
    json: false,
    repeat: 3,
    quick: false,
    scale: 1,
    help: false,
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
      default:
        if (flag!.startsWith('-')) throw new Error(`unknown option ${flag}`);
        if (options.suite !== undefined) throw new Error(`unexpected argument ${arg}`);
        options.suite = arg;
    }
  }
  return options;
}
