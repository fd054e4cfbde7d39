import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { validationErrorResponse } from './ApiErrors.js';

const ajvError = (e: Partial<ErrorObject>): ErrorObject =>
  ({ instancePath: '', schemaPath: '', params: {}, ...e }) as ErrorObject;

describe('validationErrorResponse()', () => {
  it('points into the body and shows the rejected value', () => {
    const res = validationErrorResponse(
      'body',
      ajvError({ keyword: 'maximum', instancePath: '/max_participants', message: 'must be <= 50' }),
      { max_participants: 70 },
    );
    expect(res).toEqual({
      status: 422,
      body: {
        errors: [
          {
            code: 'invalid_parameter',
            title: 'Invalid parameter',
            detail: 'max_participants must be <= 50 (got 70)',
            source: { pointer: '/max_participants' },
          },
        ],
      },
    });
  });

  it('names missing and unknown fields', () => {
    const missing = validationErrorResponse(
      'body',
      ajvError({ keyword: 'required', params: { missingProperty: 'refresh_token' } }),
      {},
    );
    expect(missing.body.errors[0]).toMatchObject({
      detail: 'refresh_token is required',
      source: { pointer: '/refresh_token' },
    });
    const unknown = validationErrorResponse(
      'body',
      ajvError({ keyword: 'additionalProperties', params: { additionalProperty: 'colour' } }),
      { colour: 'red' },
    );
    expect(unknown.body.errors[0]?.detail).toBe('colour is not a known field');
  });

  it('names query parameters in bracket notation', () => {
    const res = validationErrorResponse(
      'querystring',
      ajvError({ keyword: 'maximum', instancePath: '/page/size', message: 'must be <= 250' }),
      { page: { size: 300 } },
    );
    expect(res.body.errors[0]).toMatchObject({
      detail: 'page[size] must be <= 250 (got 300)',
      source: { parameter: 'page[size]' },
    });
    const nested = validationErrorResponse(
      'querystring',
      ajvError({
        keyword: 'additionalProperties',
        instancePath: '/filter',
        params: { additionalProperty: 'name' },
      }),
      { filter: { name: 'x' } },
    );
    expect(nested.body.errors[0]?.source).toEqual({ parameter: 'filter[name]' });
  });

  it('describes a body that is not an object', () => {
    const res = validationErrorResponse(
      'body',
      ajvError({ keyword: 'type', message: 'must be object' }),
      [1],
    );
    expect(res.body.errors[0]).toMatchObject({
      detail: 'request body must be object',
      source: { pointer: '/' },
    });
  });
});
