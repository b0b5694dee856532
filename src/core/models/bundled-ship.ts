/**
 * Installs a nano pair into `models/nano` (scripts/nano/ship.mjs): copies an exported policy folder and an exported
 * segmenter folder into a staging folder beside the target, checks every file against its export manifest, fills the
 * card's file lists and sizes, and only then swaps the staging folder in, so a failed or interrupted ship leaves the
 * previous bundle as it was.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { InputError, OmniError } from '../errors.js';
import { NANO_BACKENDS, NANO_CARD_FILE, nanoBundlePaths, type BundledRole } from './bundled.js';
import { parseNanoCard, type NanoCard, type NanoCardFile } from './bundled-card.js';
import { OMNI_MANIFEST_FILE } from './layout.js';
import { formatBytes } from './store.js';

/** The budget for the shipped models: the repository and the npm package carry them. */
export const NANO_MAX_BYTES = 30_000_000;

/** The `format` of the omni-manifest.json each role's folder must have (written by `omni export policy|segmenter`). */
export const EXPORT_FORMATS: Readonly<Record<BundledRole, string>> = { policy: 'omni-r1/policy', segmenter: 'omni-r1/segmenter' };

export interface ShipNanoOptions {
  /** An exported policy folder (`omni export policy`). */
  policy: string;
  /** An exported segmenter folder (`omni export segmenter`). */
  segmenter: string;
  /** The card to ship, without the file lists (see bundled-card.ts). */
  card: string;
  /** Default: the bundled nano folder (`<package>/models/nano`, or `$OMNI_BUNDLED_MODELS/nano`). */
  out?: string;
  /** Default NANO_MAX_BYTES. */
  maxBytes?: number;
}

export interface ShipNanoResult {
  out: string;
  card: NanoCard;
  /** Things that work but not as well as they could, e.g. a segmenter without the video graphs. */
  warnings: string[];
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file under `root`, '/'-separated, sorted, with its size and sha256. */
export async function listFolderFiles(root: string): Promise<NanoCardFile[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files: NanoCardFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = join(entry.parentPath, entry.name);
    files.push({ path: relative(root, absolute).split('\\').join('/'), bytes: (await stat(absolute)).size, sha256: await sha256(absolute) });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function readJson(path: string, what: string, hint: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`${what} ${path} does not exist`, { file: path, hint });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path} is not valid JSON: ${(error as Error).message}`, { file: path, hint });
  }
}

interface ExportManifest {
  format?: unknown;
  files?: Array<{ path?: unknown; bytes?: unknown; sha256?: unknown }>;
  videoGraphs?: Record<string, unknown>;
}

/** Checks a copied folder against its omni-manifest.json: the right kind of export, every listed file whole. */
async function checkExport(role: BundledRole, source: string, copy: string, files: NanoCardFile[]): Promise<ExportManifest> {
  const exportCommand = `omni export ${role} --from CKPT --out DIR`;
  const manifestPath = join(copy, OMNI_MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new InputError(`--${role} ${source} is not an exported ${role} folder (no ${OMNI_MANIFEST_FILE})`, { file: source, hint: `pass the folder written by ${exportCommand}` });
  }
  const manifest = (await readJson(manifestPath, 'manifest', `re-export with ${exportCommand}`)) as ExportManifest;
  if (manifest.format !== EXPORT_FORMATS[role]) {
    throw new InputError(`--${role} ${source} holds a ${String(manifest.format)} export, not ${EXPORT_FORMATS[role]}`, { file: source, hint: `pass the folder written by ${exportCommand}` });
  }
  const copied = new Map(files.map((file) => [file.path, file]));
  for (const listed of manifest.files ?? []) {
    const file = copied.get(String(listed.path));
    if (!file || file.bytes !== listed.bytes || (typeof listed.sha256 === 'string' && file.sha256 !== listed.sha256)) {
      throw new InputError(`--${role} ${source}: ${String(listed.path)} is missing or differs from its ${OMNI_MANIFEST_FILE}`, { file: join(source, String(listed.path)), hint: `re-export with ${exportCommand}` });
    }
  }
  return manifest;
}

async function readCard(path: string): Promise<NanoCard> {
  const card = parseNanoCard(await readJson(path, 'card', 'write the card first (see src/core/models/bundled-card.ts)'), path, { shipped: false });
  for (const role of ['policy', 'segmenter'] as const) {
    if (card[role].backend !== NANO_BACKENDS[role]) {
      throw new InputError(`${path}: ${role}.backend must be "${NANO_BACKENDS[role]}" (the backend the bundled default is for), got "${card[role].backend}"`, { file: path });
    }
  }
  return card;
}

/** Swaps `staging` in for `out`; the previous `out` is removed only once the new one is in place. */
async function replaceFolder(staging: string, out: string): Promise<void> {
  const previous = `${out}.previous-${process.pid}`;
  const hadPrevious = existsSync(out);
  if (hadPrevious) await rename(out, previous);
  try {
    await rename(staging, out);
  } catch (error) {
    if (hadPrevious) await rename(previous, out);
    throw error;
  }
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
}

export async function shipNanoBundle(options: ShipNanoOptions): Promise<ShipNanoResult> {
  const out = resolve(options.out ?? nanoBundlePaths().dir);
  const maxBytes = options.maxBytes ?? NANO_MAX_BYTES;
  const sources: Record<BundledRole, string> = { policy: resolve(options.policy), segmenter: resolve(options.segmenter) };
  for (const role of ['policy', 'segmenter'] as const) {
    if (!(await stat(sources[role]).catch(() => undefined))?.isDirectory()) {
      throw new InputError(`--${role} ${sources[role]} is not a folder`, { file: sources[role], hint: `pass the folder written by omni export ${role}` });
    }
  }
  const card = await readCard(resolve(options.card));

  await mkdir(dirname(out), { recursive: true });
  const staging = `${out}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const warnings: string[] = [];
  try {
    for (const role of ['policy', 'segmenter'] as const) {
      const copy = join(staging, role);
      // Links are copied as the files they point at: the repository and the npm package carry plain files.
      await cp(sources[role], copy, { recursive: true, dereference: true });
      const files = await listFolderFiles(copy);
      const manifest = await checkExport(role, sources[role], copy, files);
      if (role === 'segmenter' && Object.keys(manifest.videoGraphs ?? {}).length === 0) {
        warnings.push('the segmenter has no video graphs: omni infer will mask the keyframes only, without propagation');
      }
      card[role].files = files;
      card[role].bytes = files.reduce((sum, file) => sum + file.bytes, 0);
    }
    card.totalBytes = (card.policy.bytes ?? 0) + (card.segmenter.bytes ?? 0);
    if (card.totalBytes > maxBytes) {
      throw new OmniError(`the nano pair is ${formatBytes(card.totalBytes)} (policy ${formatBytes(card.policy.bytes ?? 0)}, segmenter ${formatBytes(card.segmenter.bytes ?? 0)}), over the ${maxBytes / 1e6} MB the repository allows`, {
        exitCode: 2,
        hint: 'export smaller models (e.g. omni export policy --dtype int4)',
      });
    }
    await writeFile(join(staging, NANO_CARD_FILE), `${JSON.stringify(card, null, 2)}\n`);
    await replaceFolder(staging, out);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return { out, card, warnings };
}
