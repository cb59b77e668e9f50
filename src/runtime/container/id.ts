// Container IDs. An ID names a directory under the state root (/run/minicon/<id>), so it must never
// be able to leave that directory: runc's rule (`^[\w+-\.]+$`, not "." or ".."), narrowed to the
// characters below, with a length limit.
import { MiniconError } from '../errors';

export const ID_MAX_LENGTH = 1024;

const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** True when `id` is a valid container ID. */
export function isValidId(id: unknown): boolean {
  return typeof id === 'string' && id.length >= 1 && id.length <= ID_MAX_LENGTH && ID_PATTERN.test(id) && id !== '.' && id !== '..';
}

/**
 * Throws a MiniconError unless `id` is 1 to 1024 of A-Z a-z 0-9 _ . - and not "." or "..".
 * Returns the id, so callers can write `const id = validateId(argv[0])`.
 */
export function validateId(id: string): string {
  if (isValidId(id)) return id;
  const shown = typeof id === 'string' ? (id.length > 80 ? JSON.stringify(id.slice(0, 80)) + `... (${id.length} characters)` : JSON.stringify(id)) : String(id);
  let why: string;
  if (typeof id !== 'string' || id.length === 0) why = 'the container ID is missing or empty';
  else if (id.length > ID_MAX_LENGTH) why = `the container ID is ${id.length} characters long (at most ${ID_MAX_LENGTH})`;
  else if (id === '.' || id === '..') why = `"${id}" would name the state directory itself or its parent`;
  else {
    const bad = [...id].find((c) => !/[A-Za-z0-9_.-]/.test(c)) ?? '';
    why = `${JSON.stringify(bad)} is not allowed in a container ID`;
  }
  throw new MiniconError(`invalid container ID ${shown}: use 1 to ${ID_MAX_LENGTH} of A-Z a-z 0-9 _ . - (not "." or "..")`, {
    step: 'validate container ID',
    hint: `${why}; pick another ID, e.g. "mycontainer-1"`,
  });
}
