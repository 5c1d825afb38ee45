import { generateKeyPairSync } from 'node:crypto';
import type { AppSeed } from '../../src/sim/github/index.js';

/**
 * The simulated Apps' RSA keys, made once per run: a 2048-bit key costs a third of a second, and
 * the simulator would make two for every GitHub it starts. test/global-setup.ts puts them in this
 * variable for the test processes; a file run without it makes its own, once per process.
 */
export const SIM_KEYS_ENV = 'TEST_SIM_APP_KEYS';

interface SimKeys {
  org: string;
  personal: string;
}

/** Two distinct keys, PKCS#1 PEM like GitHub's (and the simulator's own). */
export function generateSimKeys(): SimKeys {
  const key = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
  return { org: key(), personal: key() };
}

let keys: SimKeys | undefined;

/** Seeds for `createGitHubSim({ apps })`: the run's keys, org and personal distinct. */
export function simApps(): { org: AppSeed; personal: AppSeed } {
  const shared = process.env[SIM_KEYS_ENV];
  keys ??= shared ? (JSON.parse(shared) as SimKeys) : generateSimKeys();
  return { org: { privateKeyPem: keys.org }, personal: { privateKeyPem: keys.personal } };
}
