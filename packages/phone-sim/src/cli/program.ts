import { Command } from 'commander';
import { createCallCommand, processOutput, type CliOutput } from './callCommand.js';
import { createAnalyzeCommand, createKeygenCommand, createStubCommand } from './otherCommands.js';

/** The `palaver-phone-sim` program: call, stub, keygen, analyze. */
export function createPhoneSimProgram(output: CliOutput = processOutput): Command {
  return new Command('palaver-phone-sim')
    .description(
      'A Telnyx carrier simulator: TeXML calls with media streaming, without a Telnyx account.',
    )
    .addCommand(createCallCommand(output))
    .addCommand(createStubCommand(output))
    .addCommand(createKeygenCommand(output))
    .addCommand(createAnalyzeCommand(output));
}
