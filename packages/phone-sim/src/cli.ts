#!/usr/bin/env node
import { PhoneSimError } from './errors.js';
import { createPhoneSimProgram } from './cli/program.js';

try {
  await createPhoneSimProgram().parseAsync(process.argv);
} catch (error) {
  const message =
    error instanceof PhoneSimError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`palaver-phone-sim: ${message}\n`);
  process.exitCode = 1;
}
