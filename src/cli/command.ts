// What every command file exports, and the global options the dispatcher parsed for it.
import type { ParseArgsConfig } from 'util';

export interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
}

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface Command {
  usage: string;
  /** a paragraph shown by --help under the usage line */
  description: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: Parsed, globals: Globals): Promise<number> | number;
}

/** The one positional most commands take. */
export function needId(args: Parsed, usage: string): string {
  const id = args.positionals[0];
  if (id === undefined) throw new UsageError(`missing container ID`, usage);
  return id;
}

export class UsageError extends Error {
  constructor(message: string, readonly usage: string) { super(message); }
}
