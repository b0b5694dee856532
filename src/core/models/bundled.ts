/**
 * The models shipped inside the package: `models/nano/` holds the nano pair (an exported qwen-omni policy and an
 * exported SAM2 segmenter, written by `omni export policy|segmenter`) and `card.json`, which says what they are.
 * They are the default when neither a flag nor the config file names a model, and `nano` names them anywhere a model
 * reference is accepted (after local folders and store names, so a store model called `nano` still wins).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { OMNI_MANIFEST_FILE } from './layout.js';
import { storedModel, type StoredFile } from './store.js';

/** The reference that names the bundled pair. */
export const NANO_MODEL = 'nano';

export type BundledRole = 'policy' | 'segmenter';

/** The backend each bundled model is built for: the default applies only when that backend is the one selected. */
export const NANO_BACKENDS: Readonly<Record<BundledRole, string>> = { policy: 'qwen-omni', segmenter: 'sam2' };

export const NANO_CARD_FILE = 'card.json';

/** Printed once by a command that fell back to the bundled pair. */
export const BUNDLED_NOTICE = 'using the bundled nano models; see omni models info nano';

/** How to put the folder back, for messages. */
export const SHIP_COMMAND = 'node scripts/nano/ship.mjs --policy DIR --segmenter DIR --card FILE';

// This file is src/core/models/bundled.ts (tests) or dist/core/models/bundled.js (the CLI): the package root is three up.
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The folder that holds the bundled models: `$OMNI_BUNDLED_MODELS`, else `<package>/models`. */
export function bundledModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.OMNI_BUNDLED_MODELS;
  return override !== undefined && override !== '' ? resolve(override) : join(PACKAGE_ROOT, 'models');
}

export interface NanoBundlePaths {
  dir: string;
  policy: string;
  segmenter: string;
  card: string;
}

export function nanoBundlePaths(env: NodeJS.ProcessEnv = process.env): NanoBundlePaths {
  const dir = join(bundledModelsDir(env), NANO_MODEL);
  return { dir, policy: join(dir, 'policy'), segmenter: join(dir, 'segmenter'), card: join(dir, NANO_CARD_FILE) };
}

/** The bundled folder for `role` when it is there (an exported folder: it has its omni-manifest.json). */
export function bundledNanoFolder(role: BundledRole, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const folder = nanoBundlePaths(env)[role];
  return existsSync(join(folder, OMNI_MANIFEST_FILE)) ? folder : undefined;
}

/** Why the bundled `role` model cannot be used, as the text after "the bundled nano models are missing". */
export function missingNanoDetail(role: BundledRole, env: NodeJS.ProcessEnv = process.env): string {
  return `no ${join(nanoBundlePaths(env)[role], OMNI_MANIFEST_FILE)}`;
}

/** The bundled folder for `role`, or a one-line error saying how to get it back. */
export function requireBundledNano(role: BundledRole, env: NodeJS.ProcessEnv = process.env): string {
  const folder = bundledNanoFolder(role, env);
  if (folder) return folder;
  throw new InputError(`the bundled nano models are missing (${missingNanoDetail(role, env)})`, {
    hint: `this checkout has no models/nano; pass a ${role} model folder instead, or install the pair with ${SHIP_COMMAND}`,
  });
}

export interface BundledModel {
  name: typeof NANO_MODEL;
  role: BundledRole;
  path: string;
  bytes: number;
  files: StoredFile[];
}

/** The bundled models that are present (none in a checkout without models/nano). */
export async function listBundledModels(env: NodeJS.ProcessEnv = process.env): Promise<BundledModel[]> {
  const models: BundledModel[] = [];
  for (const role of ['policy', 'segmenter'] as const) {
    if (!bundledNanoFolder(role, env)) continue;
    const { path, bytes, files } = await storedModel(role, nanoBundlePaths(env).dir);
    models.push({ name: NANO_MODEL, role, path, bytes, files });
  }
  return models;
}
