/**
 * A model argument anywhere (flags, config file, backend factories): a local folder, a store name, `nano` (the
 * bundled pair, when the role is known), or a hub id. A hub id resolves to the store folder it was pulled into; it
 * is never downloaded implicitly.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { omniHome } from '../config.js';
import { InputError } from '../errors.js';
import { NANO_MODEL, requireBundledNano, type BundledRole } from './bundled.js';
import { formatHubId, parseHubId, isHubId } from './hub-id.js';
import { readPullRecord, type PullRecord } from './pull-record.js';
import { isModelName } from './store.js';

export interface ResolvedModel {
  /** Absolute path of the model folder. */
  path: string;
  /** How the reference was read: a folder path, a name (or hub id) found in the store, or `nano` (models/nano). */
  source: 'folder' | 'store' | 'bundled';
  /** The store name, for store models; `nano` for the bundled ones. */
  name?: string;
  /** Where the model was pulled from, when it was. */
  record?: PullRecord;
}

export interface ResolveModelOptions {
  /** Default: `<omniHome>/models`. */
  storeDir?: string;
  /** Default: $OMNI_HOME (or ~/.cache/omni-r1). Backends pass `ctx.omniHome`. */
  omniHome?: string;
  env?: NodeJS.ProcessEnv;
  /** Relative folders are read from here (default: the working directory). */
  cwd?: string;
  /** Names the model in messages, e.g. "policy model" (default "model"). */
  what?: string;
  /** What the model is for; lets `nano` name the bundled policy or segmenter. */
  role?: BundledRole;
}

async function statOrUndefined(path: string) {
  return stat(path).catch(() => undefined);
}

/** Store folder names (hidden work folders left out). */
async function storeNames(storeDir: string): Promise<string[]> {
  const entries = await readdir(storeDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory() && isModelName(entry.name)).map((entry) => entry.name).sort();
}

function storedHint(names: string[], storeDir: string): string {
  return names.length ? `stored: ${names.join(', ')}` : `the store ${storeDir} is empty; fetch a model with omni models pull <owner/name>`;
}

/** The store model pulled from `repo` (at `revision` when given), preferring the one named after the repo. */
async function findPulled(storeDir: string, names: string[], ref: string): Promise<{ name: string; record: PullRecord } | undefined> {
  const id = parseHubId(ref);
  const matches: Array<{ name: string; record: PullRecord }> = [];
  for (const name of names) {
    const record = await readPullRecord(join(storeDir, name));
    if (!record || record.repo.toLowerCase() !== id.repo.toLowerCase()) continue;
    const rev = id.revision;
    if (rev !== undefined && record.revision !== rev && !(rev.length >= 7 && /^[0-9a-f]+$/.test(rev) && record.commit.startsWith(rev))) continue;
    matches.push({ name, record });
  }
  return matches.find((match) => match.name === id.name) ?? matches[0];
}

export async function resolveModelRef(ref: string | undefined, options: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const what = options.what ?? 'model';
  const storeDir = options.storeDir ?? join(options.omniHome ?? omniHome(options.env ?? process.env), 'models');
  if (ref === undefined || ref.trim() === '') {
    throw new InputError(`no ${what} given`, { hint: `pass a model folder, a store name or a hub id; ${storedHint(await storeNames(storeDir), storeDir)}` });
  }

  const folder = resolve(options.cwd ?? process.cwd(), ref);
  const stats = await statOrUndefined(folder);
  if (stats?.isDirectory()) return { path: folder, source: 'folder' };
  if (stats) throw new InputError(`${what} ${ref} is a file, not a model folder`, { file: folder, hint: 'pass the folder that holds it' });

  const names = await storeNames(storeDir);
  if (isModelName(ref) && names.includes(ref)) {
    const path = join(storeDir, ref);
    const record = await readPullRecord(path);
    return { path, source: 'store', name: ref, ...(record ? { record } : {}) };
  }
  // Without a role (a caller that predates the bundle) `nano` is only a store name.
  if (ref === NANO_MODEL && options.role !== undefined) {
    return { path: requireBundledNano(options.role, options.env ?? process.env), source: 'bundled', name: NANO_MODEL };
  }
  if (isHubId(ref)) {
    const pulled = await findPulled(storeDir, names, ref);
    if (pulled) return { path: join(storeDir, pulled.name), source: 'store', name: pulled.name, record: pulled.record };
    const id = parseHubId(ref);
    throw new InputError(`${what} ${formatHubId(id)} is not in the store; run \`omni models pull ${formatHubId(id)}\``, { hint: storedHint(names, storeDir) });
  }
  if (isModelName(ref)) throw new InputError(`no ${what} "${ref}" in the store ${storeDir} and no folder ${folder}`, { hint: storedHint(names, storeDir) });
  throw new InputError(`${what} folder ${ref} does not exist`, { file: folder, hint: `check the path; ${storedHint(names, storeDir)}` });
}
