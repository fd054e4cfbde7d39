import { describe, expect, it } from 'vitest';
import { pageCount, timeConditions } from './listQuery.js';

describe('timeConditions()', () => {
  it('reads a bare date as the whole UTC day', () => {
    expect(timeConditions({ eq: '2026-04-25' }, 'filter[date_created_at]')).toEqual([
      { op: '>=', value: '2026-04-25T00:00:00.000Z' },
      { op: '<', value: '2026-04-26T00:00:00.000Z' },
    ]);
    expect(timeConditions({ gte: '2026-04-25', lte: '2026-04-30' }, 'f')).toEqual([
      { op: '>=', value: '2026-04-25T00:00:00.000Z' },
      { op: '<', value: '2026-05-01T00:00:00.000Z' },
    ]);
  });

  it('compares a date-time exactly, normalised to UTC with milliseconds', () => {
    expect(timeConditions({ eq: '2026-04-25T10:00:00+02:00' }, 'f')).toEqual([
      { op: '=', value: '2026-04-25T08:00:00.000Z' },
    ]);
    expect(timeConditions({ lte: '2026-04-25T10:00:00.5Z' }, 'f')).toEqual([
      { op: '<=', value: '2026-04-25T10:00:00.500Z' },
    ]);
  });

  it('crosses month and year ends', () => {
    expect(timeConditions({ lte: '2025-12-31' }, 'f')).toEqual([
      { op: '<', value: '2026-01-01T00:00:00.000Z' },
    ]);
    expect(timeConditions({ eq: '2028-02-29' }, 'f')[1]).toEqual({
      op: '<',
      value: '2028-03-01T00:00:00.000Z',
    });
  });

  it('names the parameter of an impossible or malformed value', () => {
    expect(() => timeConditions({ gte: '2026-02-30' }, 'filter[date_created_at]')).toThrow(
      /filter\[date_created_at\]\[gte\] must be a date/,
    );
    expect(() => timeConditions({ eq: 'yesterday' }, 'f')).toThrow(/"yesterday"/);
    expect(() => timeConditions({ eq: '2026-01-01Tnonsense' }, 'f')).toThrow(/f\[eq\]/);
  });

  it('returns nothing for no filter', () => {
    expect(timeConditions(undefined, 'f')).toEqual([]);
    expect(timeConditions({}, 'f')).toEqual([]);
  });
});

describe('pageCount()', () => {
  it('counts whole pages', () => {
    expect(pageCount(0, 20)).toBe(0);
    expect(pageCount(1, 20)).toBe(1);
    expect(pageCount(20, 20)).toBe(1);
    expect(pageCount(55, 25)).toBe(3);
  });
});
