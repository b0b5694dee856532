import { asIdArray, asIntegerArray, asInteger, asPositiveInteger, asRecord, asString, asStringArray, jsonPath } from './json.js';
import { pythonSorted } from './loaded-dataset.js';
import type { ProblemLog } from './problems.js';

export interface VosExpressionMeta {
  expId: string;
  exp: string;
  objIds: number[];
  annoIds: string[];
  typeId?: number;
  /** `grounding_description` (synthetic data only): a visual description of the referred objects for System 2. */
  groundingDescription?: string;
}

export interface VosVideoMeta {
  video: string;
  /** Sorted, as the authors' loader sorts them; mask lists are indexed in this order. */
  frames: string[];
  width?: number;
  height?: number;
  /** Sorted by expression id. */
  expressions: VosExpressionMeta[];
}

/**
 * Parses `meta_expressions*.json`: `{"videos": {vid: {"frames": [...], "expressions": {exp_id: {...}}, "height"?, "width"?}}}`.
 * A malformed video entry is an InputError naming the file and JSON path, or, with skipBad, a problem and the video is dropped.
 */
export function parseVosMeta(document: unknown, file: string, log: ProblemLog): VosVideoMeta[] {
  const videos = asRecord(asRecord(document, file, '$').videos, file, '$.videos');
  const parsed: VosVideoMeta[] = [];
  for (const [video, entry] of Object.entries(videos)) {
    try {
      parsed.push(parseVideo(video, entry, file, jsonPath('$.videos', video)));
    } catch (error) {
      log.skip(video, error);
    }
  }
  return parsed;
}

function parseVideo(video: string, entry: unknown, file: string, path: string): VosVideoMeta {
  const record = asRecord(entry, file, path);
  const frames = pythonSorted(asStringArray(record.frames, file, jsonPath(path, 'frames')));
  const expressionsPath = jsonPath(path, 'expressions');
  const expressions = asRecord(record.expressions, file, expressionsPath);
  const meta: VosVideoMeta = {
    video,
    frames,
    expressions: pythonSorted(Object.keys(expressions)).map((expId) =>
      parseExpression(expId, expressions[expId], file, jsonPath(expressionsPath, expId)),
    ),
  };
  if (record.width !== undefined) meta.width = asPositiveInteger(record.width, file, jsonPath(path, 'width'));
  if (record.height !== undefined) meta.height = asPositiveInteger(record.height, file, jsonPath(path, 'height'));
  return meta;
}

function parseExpression(expId: string, entry: unknown, file: string, path: string): VosExpressionMeta {
  const record = asRecord(entry, file, path);
  const expression: VosExpressionMeta = {
    expId,
    exp: asString(record.exp, file, jsonPath(path, 'exp')),
    // The authors' loader defaults a missing obj_id to [0] (a single object).
    objIds: record.obj_id === undefined ? [0] : asIntegerArray(record.obj_id, file, jsonPath(path, 'obj_id')),
    annoIds: asIdArray(record.anno_id, file, jsonPath(path, 'anno_id')),
  };
  if (record.type_id !== undefined) expression.typeId = asInteger(record.type_id, file, jsonPath(path, 'type_id'));
  if (record.grounding_description !== undefined) {
    expression.groundingDescription = asString(record.grounding_description, file, jsonPath(path, 'grounding_description'));
  }
  return expression;
}
