/**
 * What a command prints: human lines on stdout by default, one JSON document with --json.
 * Progress goes to stderr, and only to a terminal (or when forced), so pipes stay clean.
 */
export interface CliStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export interface Output {
  readonly json: boolean;
  /** A human line (ignored with --json). */
  line(text: string): void;
  /** The command's result: printed as JSON with --json, else by `human`. */
  result(value: unknown, human?: () => void): void;
  /** A progress reporter for `total` units of `label`. */
  progress(label: string, total: number): Progress;
  /** A warning line on stderr. */
  warn(text: string): void;
}

export interface Progress {
  tick(done: number): void;
  done(): void;
}

const BAR = 30;

function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

export function createOutput(
  streams: CliStreams,
  options: { json: boolean; progress?: boolean },
): Output {
  const showProgress = options.progress ?? streams.stderr.isTTY === true;
  return {
    json: options.json,
    line(text) {
      if (!options.json) streams.stdout.write(`${text}\n`);
    },
    result(value, human) {
      if (options.json || human === undefined) streams.stdout.write(`${toJson(value)}\n`);
      else human();
    },
    warn(text) {
      streams.stderr.write(`warning: ${text}\n`);
    },
    progress(label, total) {
      let last = -1;
      const draw = (done: number) => {
        const pct = total === 0 ? 100 : Math.floor((done * 100) / total);
        if (pct === last) return;
        last = pct;
        const filled = Math.round((pct / 100) * BAR);
        streams.stderr.write(
          `\r${label} [${"#".repeat(filled)}${".".repeat(BAR - filled)}] ${pct}% ${done}/${total}`,
        );
      };
      return {
        tick(done) {
          if (showProgress) draw(done);
        },
        done() {
          if (!showProgress) return;
          draw(total);
          streams.stderr.write("\n");
        },
      };
    },
  };
}

export { toJson };
