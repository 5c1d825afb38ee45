import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type AppKind = 'org' | 'personal';
export const APP_KINDS: readonly AppKind[] = ['org', 'personal'];

/** deploy/github-apps/, from src/api/setup/ and from dist/api/setup/ alike (the image has both). */
export const MANIFESTS_DIR = fileURLToPath(
  new URL('../../../deploy/github-apps/', import.meta.url),
);

const file = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  url: z.url(),
  public: z.boolean(),
  hook_attributes: z.object({ url: z.url(), active: z.boolean() }),
  redirect_url: z.url(),
  default_events: z.array(z.string()),
  default_permissions: z.record(z.string(), z.enum(['read', 'write'])),
});
export type AppManifest = z.infer<typeof file>;

/** A manifest file as stored (with its `$comment`), and parsed without it. */
export function readManifest(kind: AppKind, dir = MANIFESTS_DIR): AppManifest {
  const raw = JSON.parse(readFileSync(`${dir}${kind}.json`, 'utf8')) as Record<string, unknown>;
  const { $comment: _comment, ...manifest } = raw;
  return file.parse(manifest);
}

/** The manifest to post to GitHub for this deployment: our URLs, and a name of its own. */
export function manifestFor(
  kind: AppKind,
  o: { publicUrl: string; name?: string; dir?: string },
): AppManifest {
  const m = readManifest(kind, o.dir);
  return {
    ...m,
    name: o.name?.trim() || m.name,
    hook_attributes: { url: `${o.publicUrl}/webhook`, active: true },
    redirect_url: `${o.publicUrl}/setup/callback`,
  };
}

/** The permissions an App's code relies on: its manifest's own (one source of truth). */
export const requiredPermissions = (kind: AppKind): Record<string, 'read' | 'write'> =>
  readManifest(kind).default_permissions;

/** Where the operator stores what GitHub hands over (src/config/env.ts). */
export const VARIABLES: Record<AppKind, readonly [id: string, key: string, secret: string]> = {
  org: ['GHAPP_ORG_APP_ID', 'GHAPP_ORG_PRIVATE_KEY', 'GHAPP_WEBHOOK_SECRET'],
  personal: ['GHAPP_PERSONAL_APP_ID', 'GHAPP_PERSONAL_PRIVATE_KEY', 'GHAPP_WEBHOOK_SECRET'],
};
