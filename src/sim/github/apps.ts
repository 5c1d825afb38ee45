import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { AppKind, SimApp } from './model.js';

export interface AppSeed {
  id?: number;
  slug?: string;
  name?: string;
  /** Reuse a key (e.g. one written to disk by the CLI) instead of generating one. */
  privateKeyPem?: string;
}

const DEFAULTS: Record<AppKind, { id: number; slug: string; name: string; hookId: number }> = {
  org: { id: 1001, slug: 'rise-riscv-runners', name: 'RISE RISC-V Runners', hookId: 4001 },
  personal: {
    id: 1002,
    slug: 'rise-riscv-runners-personal',
    name: 'RISE RISC-V Runners (personal)',
    hookId: 4002,
  },
};

export function createSimApp(kind: AppKind, seed: AppSeed, createdAt: string): SimApp {
  const d = DEFAULTS[kind];
  // Generated at start-up, never stored. GitHub hands out PKCS#1 PEM keys; clients must cope.
  const privateKeyPem =
    seed.privateKeyPem ??
    generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
  const id = seed.id ?? d.id;
  return {
    kind,
    id,
    slug: seed.slug ?? d.slug,
    name: seed.name ?? d.name,
    clientId: `Iv23sim${String(id).padStart(13, '0')}`,
    privateKeyPem,
    publicKey: createPublicKey(createPrivateKey(privateKeyPem)),
    hookId: d.hookId,
    ownerLogin: 'riseproject-dev',
    createdAt,
    webhook: {},
  };
}
