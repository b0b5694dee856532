import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DatasetBackend, DatasetItem } from '../../plugins/api.js';
import { InputError } from '../errors.js';
import { openMevis } from '../data/mevis.js';
import type { DataProblem } from '../data/problems.js';
import { openRefAvs } from '../data/refavs.js';
import { openRefCocog } from '../data/refcocog.js';
import { openRevos } from '../data/revos.js';
import { PredictionError } from './prediction-mask.js';
import { RefAvsPredictionLayout } from './prediction-paths.js';
import { appendRecord, PER_ITEM_FILE, readReport, startReport, SUMMARY_JSON, SUMMARY_MD, writeAtomically } from './report-file.js';
import { failedRecord, scoreItem, type ScoringContext } from './score-item.js';
import { inShard } from './shard.js';
import { buildSummary } from './summarize.js';
import { renderSummaryMarkdown } from './summary-markdown.js';
import { PER_ITEM_SCHEMA, type EvalSummary, type EvaluateOptions, type ItemRecord, type ReportHeader } from './types.js';

const BUILTIN_OPENERS: Record<string, DatasetBackend['open']> = {
  revos: openRevos,
  mevis: openMevis,
  refavs: openRefAvs,
  refcocog: openRefCocog,
};

function builtinBackend(name: string): DatasetBackend {
  const open = BUILTIN_OPENERS[name];
  if (!open) {
    throw new InputError(`unknown dataset "${name}"`, { hint: `built-in datasets: ${Object.keys(BUILTIN_OPENERS).join(', ')}; plugin datasets need their backend` });
  }
  return { name, open };
}

function describeShard(header: ReportHeader): string {
  return header.shard ? `${header.shard.index}/${header.shard.count}` : 'none';
}

/** The options a resumed report must share with this run, as flag name and value. */
function resumeKeys(header: ReportHeader): Array<[string, string]> {
  return [
    ['--dataset', header.dataset],
    ['--split', header.split],
    ['--data-root', header.dataRoot],
    ['--predictions', header.predictions],
    ['--shard', describeShard(header)],
    ['--skip-bad', String(header.skipBad)],
    ['models', header.predictedBy ?? 'none (--predictions)'],
  ];
}

function checkResume(out: string, previous: ReportHeader, current: ReportHeader): void {
  const file = join(out, PER_ITEM_FILE);
  if (previous.mergedFrom) {
    throw new InputError(`${file} is a merged report and cannot be resumed`, { file, hint: 'use a new --out folder' });
  }
  const before = new Map(resumeKeys(previous));
  for (const [flag, value] of resumeKeys(current)) {
    if (before.get(flag) !== value) {
      throw new InputError(`${file} was written with ${flag} ${before.get(flag)}, this run has ${flag} ${value}`, {
        file,
        hint: 'resume with the same options, or pass a new --out folder',
      });
    }
  }
}

function datasetProblems(loaded: object): DataProblem[] {
  const problems = (loaded as { problems?: unknown }).problems;
  return Array.isArray(problems) ? (problems as DataProblem[]) : [];
}

/**
 * Scores a predictions folder on one split of a dataset and writes `per_item.jsonl`, `summary.json` and `summary.md`
 * into `options.out`. Items already in `per_item.jsonl` are kept and skipped, so an interrupted run resumes.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvalSummary> {
  const startedAt = new Date();
  const out = resolve(options.out);
  const header: ReportHeader = {
    schema: PER_ITEM_SCHEMA,
    dataset: options.dataset,
    split: options.split,
    dataRoot: resolve(options.dataRoot),
    predictions: resolve(options.predictions),
    skipBad: options.skipBad ?? false,
  };
  if (options.shard) header.shard = { ...options.shard };
  if (options.predictedBy !== undefined) header.predictedBy = options.predictedBy;
  const backend = options.backend ?? builtinBackend(options.dataset);
  const loaded = await backend.open(header.dataRoot, header.split, { skipBad: header.skipBad });

  const previous = await readReport(out, { repair: true });
  if (previous) checkResume(out, previous.header, header);
  else await startReport(out, header);
  const records: ItemRecord[] = [...(previous?.records ?? [])];
  const done = new Set(records.map((record) => record.id));

  const context: ScoringContext = { predictions: header.predictions };
  const shardSize = loaded.size === undefined ? undefined : options.shard ? Math.ceil(loaded.size / options.shard.count) : loaded.size;
  const total = Math.min(shardSize ?? Number.POSITIVE_INFINITY, options.limit ?? Number.POSITIVE_INFINITY);
  const extraProblems: DataProblem[] = [];
  const seen = new Set<string>();
  let position = 0;
  let complete = true;
  let scoredThisRun = 0;

  for await (const item of loaded) {
    if (!inShard(item.id, options.shard)) continue;
    if (options.limit !== undefined && position >= options.limit) {
      complete = false;
      break;
    }
    position += 1;
    if (seen.has(item.id)) throw new InputError(`the dataset lists item ${item.id} twice`, { hint: 'item ids must be unique; fix the metadata' });
    seen.add(item.id);
    if (!done.has(item.id)) {
      const prediction = options.predict ? await options.predict(item) : undefined;
      const record = await scoreOrSkip(item, context, header, extraProblems);
      if (record) {
        record.warnings.push(...(prediction?.warnings ?? []));
        if (prediction?.inference) record.inference = prediction.inference;
        await appendRecord(out, record);
        records.push(record);
        done.add(item.id);
        scoredThisRun += 1;
      }
    }
    options.onProgress?.({ done: position, total: Number.isFinite(total) ? Math.max(total, position) : position });
  }

  const dataProblems = [...datasetProblems(loaded).filter((problem) => inShard(problem.itemId, options.shard)), ...extraProblems];
  const summary = buildSummary({ header, records, dataProblems, complete, datasetSize: loaded.size, startedAt, scoredThisRun });
  await writeSummary(out, summary);
  return summary;

  async function scoreOrSkip(item: DatasetItem, scoring: ScoringContext, run: ReportHeader, problems: DataProblem[]): Promise<ItemRecord | undefined> {
    if (item.kind === 'refavs' && !scoring.refAvsLayout) {
      scoring.refAvsLayout = await RefAvsPredictionLayout.create(run.predictions, run.dataRoot, run.split);
    }
    try {
      return await scoreItem(item, scoring);
    } catch (error) {
      if (!run.skipBad || !(error instanceof InputError)) throw error;
      if (error instanceof PredictionError) return failedRecord(item, error.message);
      // Bad ground truth found while scoring (masks decode lazily): skipped like the loader's own problems.
      problems.push({ itemId: item.id, file: error.file, message: error.message });
      return undefined;
    }
  }
}

export async function writeSummary(out: string, summary: EvalSummary): Promise<void> {
  await writeAtomically(join(out, SUMMARY_JSON), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(out, SUMMARY_MD), renderSummaryMarkdown(summary));
}
