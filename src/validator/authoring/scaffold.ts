// Creates a validator file from the template, with the declarations beside it. Used by the editor's
// "Create Certificate Validator"; plain Node, so it is tested without VS Code.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BitsError, Codes } from '../../core/errors';
import { DECLARATIONS_FILE, writeDeclarations } from './declarations';
import { validatorTemplate } from './template';

/** Where the command puts the validator unless told otherwise, relative to the workspace folder. */
export const DEFAULT_VALIDATOR_PATH = '.vscode/download-validator.ts';

export interface ScaffoldResult {
  validatorFile: string;
  declarationsFile: string;
}

/**
 * Writes the template to `validatorFile` (absolute) and the declarations beside it. An existing file is
 * kept unless `overwrite`: it throws E_FILE_EXISTS, and nothing is written.
 */
export function scaffoldValidator(validatorFile: string, options: { overwrite?: boolean; now?: Date } = {}): ScaffoldResult {
  if (!validatorFile.endsWith('.ts')) {
    throw new BitsError(Codes.E_INVALIDARG, `A certificate validator is a TypeScript file: ${validatorFile} does not end in .ts.`);
  }
  if (existsSync(validatorFile) && !options.overwrite) {
    throw new BitsError(Codes.E_FILE_EXISTS, `${validatorFile} already exists; open it, or choose another file for the new validator.`);
  }
  mkdirSync(dirname(validatorFile), { recursive: true });
  const declarationsFile = writeDeclarations(validatorFile);
  writeFileSync(validatorFile, validatorTemplate(options.now));
  return { validatorFile, declarationsFile };
}

export function declarationsBeside(validatorFile: string): string {
  return join(dirname(validatorFile), DECLARATIONS_FILE);
}
