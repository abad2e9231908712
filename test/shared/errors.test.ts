import { describe, expect, it } from 'vitest';
import * as errors from '../../shared/errors.ts';
import { JOB_ERROR_CLASSES, JobError, RECOVERABLE_ERROR_NAMES } from '../../shared/errors.ts';

describe('named errors', () => {
  it('lists every JobError class the module exports', () => {
    const exported = Object.values(errors).filter((value) => typeof value === 'function' && value.prototype instanceof JobError);
    expect(new Set(JOB_ERROR_CLASSES)).toEqual(new Set(exported));
  });

  // Step Functions matches on the instance's name; the class name (intact here, not minified) is the one to spell.
  it.each(JOB_ERROR_CLASSES.map((ErrorClass) => [ErrorClass.name, ErrorClass] as const))(
    'names a %s instance after its class',
    (name, ErrorClass) => {
      const error = new ErrorClass('message');
      expect(error.name).toBe(name);
      expect(String(error)).toBe(`${name}: message`);
    },
  );

  it('retries on the recoverable classes and on the DynamoDB throttling errors that outlast the SDK, and on nothing else', () => {
    expect(RECOVERABLE_ERROR_NAMES).toEqual([
      'TransientError',
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
      'InternalServerError',
    ]);
  });
});
