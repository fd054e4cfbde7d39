import { InvalidArgumentError } from 'commander';

export function parseNumber(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}.`);
    }
    return n;
  };
}

export function parseInteger(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

export const parseProbability = (name: string): ((value: string) => number) =>
  parseNumber(name, 0, 1);

/** `20/s`, `20/sec` or `20` calls per second. */
export function parseRate(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s(?:ec(?:ond)?)?)?\s*$/i.exec(value);
  const n = match === null ? NaN : Number(match[1]);
  if (!(n > 0)) {
    throw new InvalidArgumentError('the ramp is calls per second, like 20/s.');
  }
  return n;
}

export function parseMethod(value: string): 'GET' | 'POST' {
  const upper = value.toUpperCase();
  if (upper !== 'GET' && upper !== 'POST') {
    throw new InvalidArgumentError('the method is POST or GET.');
  }
  return upper;
}
