/**
 * What a configuration is refused for, for the tests of the loader: the problems of the
 * ConfigError it throws. A configuration that loads fails the test; any other error is a bug
 * and is thrown as it is.
 */
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors.ts';

export function refusal(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** `config`: YAML text, or an object written out as YAML. */
export function problemsOf(config: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  const text = typeof config === 'string' ? config : stringify(config);
  return [...refusal(() => parseConfig(text, env)).problems];
}
