import type { Box, DatasetBackend, DatasetItem } from '../../plugins/api.js';
import type { DataProblem } from '../data/problems.js';
import type { InferStatus } from '../pipeline/result.js';
import type { DavisStatistics, MevisSummary, RevosCategoryScore, RevosSummary } from '../metrics/index.js';

/** Version tags written into the report files; readers refuse other versions. */
export const PER_ITEM_SCHEMA = 'omni-r1/eval-per-item@1';
export const SUMMARY_SCHEMA = 'omni-r1/eval-summary@1';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface EvalProgress {
  /** Items of this shard done so far (resumed ones included). */
  done: number;
  /** Items expected in this shard (an estimate when sharded), after --limit. */
  total: number;
}

export interface EvaluateOptions {
  /** Backend name (`revos`, `mevis`, `refavs`, `refcocog` or a plugin's); written into the report. */
  dataset: string;
  /** The dataset backend; defaults to the built-in one named `dataset`. */
  backend?: DatasetBackend;
  dataRoot: string;
  split: string;
  /** Folder of prediction PNGs (see prediction-paths.ts for the layouts). */
  predictions: string;
  /** Report folder; an existing report there is resumed. */
  out: string;
  /** Only the first N items (of the shard, in dataset order). */
  limit?: number;
  shard?: Shard;
  /** Bad data and bad predictions become counted warnings instead of errors. */
  skipBad?: boolean;
  onProgress?: (progress: EvalProgress) => void;
  /**
   * Writes the item's predictions before it is scored (`omni eval` without --predictions runs the models here); its
   * warnings go into the item's record. Items already in per_item.jsonl are neither predicted nor scored again.
   */
  predict?: (item: DatasetItem) => Promise<ItemPrediction>;
  /** What made the predictions (written into the header; a resume must match). */
  predictedBy?: string;
}

/** The options a report was written with; a resume must match them. First line of per_item.jsonl. */
export interface ReportHeader {
  schema: typeof PER_ITEM_SCHEMA;
  dataset: string;
  split: string;
  dataRoot: string;
  predictions: string;
  /** Undefined for an unsharded run or a merged report. */
  shard?: Shard;
  skipBad: boolean;
  /** Set when omni eval ran models to make the predictions: which ones (see EvaluateOptions.predictedBy). */
  predictedBy?: string;
  /** Set on a report written by `omni eval merge`: the report folders it combines. */
  mergedFrom?: string[];
}

/** RefAVS official per-expression metrics (GeWu-Lab/Ref-AVS `utility.py`). */
export interface RefAvsOfficialScore {
  /** `mask_iou` with the null-frame rule. */
  iou: number;
  /** F-beta (beta^2 = 0.3) maximised over thresholds. */
  fbeta: number;
  /** S of the null split (`test_n` only): sqrt of the predicted-foreground fraction; lower is better. */
  nullS?: number;
}

/** One line of per_item.jsonl. J, F and J&F are fractions in [0, 1]. */
export interface ItemRecord {
  id: string;
  kind: 'vos-expression' | 'refavs' | 'refcocog' | 'video';
  /** ReVOS: 0 referring, 1 reasoning (2 no-target). */
  typeId?: number;
  /** Number of objects the expression refers to (ReVOS/MeViS `anno_id` count). */
  objects?: number;
  /** RefAVS: media folder and object id of the ground truth. */
  vid?: string;
  fid?: number;
  j: number;
  f: number;
  jf: number;
  frames: number;
  /** Per-frame J and F, for the DAVIS recall and decay. */
  perFrame?: { j: number[]; f: number[] };
  refavs?: RefAvsOfficialScore;
  /** refCOCOg: IoU of the prediction mask's box with the ground-truth box. */
  boxIou?: number;
  /** True when the prediction was missing or unreadable (only with --skip-bad): scored 0, as the reference evaluators do. */
  failed?: boolean;
  /** `omni eval` without --predictions: what the models answered (absent for items predicted by an earlier run). */
  inference?: ItemInference;
  warnings: string[];
}

/** What the models said for one item: System 1's moments and System 2's boxes, to see why an item scored as it did. */
export interface ItemInference {
  status: InferStatus;
  /** System 1's moments (pseudo-time) and grounding descriptions; empty when it gave none. */
  moments: Array<{ start: string; end: string; description: string }>;
  /** Per grounded keyframe: the original frame and the boxes System 2 drew there (original pixels). */
  keyframes: Array<{ frame: number; description: string; boxes: Box[] }>;
}

/** What `EvaluateOptions.predict` hands back for an item's record. */
export interface ItemPrediction {
  warnings: string[];
  inference?: ItemInference;
}

export interface DavisTable {
  /** (J mean + F mean) / 2; fractions. */
  jAndFMean: number;
  j: DavisStatistics;
  f: DavisStatistics;
}

export interface SummaryMetrics {
  /** J, F, J&F as percentages: means over items (the MeViS rule; the paper's RefAVS J&F). */
  jf?: MevisSummary;
  /** DAVIS 2017 global table over items (each expression one track). */
  davis?: DavisTable;
  /** ReVOS categories as VISA `eval_revos.py`, plus single-/multi-object expressions (percentages). */
  revos?: RevosSummary & { single: RevosCategoryScore; multi: RevosCategoryScore };
  /** RefAVS official metrics: mIoU and F-beta (seen/unseen), S (null split); fractions as the official code prints. */
  refavs?: { miou: number; fbeta: number; count: number; s?: number };
  /** refCOCOg: mean box IoU and the fraction with IoU > 0.5. */
  refcocog?: { meanIou: number; accAt50: number; count: number };
}

export interface ItemProblem {
  itemId: string;
  file?: string;
  message: string;
}

export interface EvalSummary {
  schema: typeof SUMMARY_SCHEMA;
  dataset: string;
  split: string;
  shard?: Shard;
  mergedFrom?: string[];
  /** False when --limit stopped the run, or a merge lacks shards. */
  complete: boolean;
  counts: {
    /** Items the dataset lists (all shards). */
    datasetSize?: number;
    /** Items in per_item.jsonl. */
    scored: number;
    /** Of those, items whose predictions were missing or unreadable (scored 0). */
    failedPredictions: number;
    /** Items the loader skipped for bad data (--skip-bad). */
    skippedBadData: number;
  };
  metrics: SummaryMetrics;
  problems: {
    data: DataProblem[];
    predictions: ItemProblem[];
  };
  timing: {
    startedAt: string;
    finishedAt: string;
    seconds: number;
    /** Items scored by this run (not resumed ones). */
    scoredThisRun: number;
    itemsPerSecond: number;
  };
}
