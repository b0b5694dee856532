import { OmniError } from '../errors.js';
import { expressionCandidates, nullExpressionCandidates, REASONING_TYPE, REFERRING_TYPE, selectExpressions, type SynthExpression } from './expressions.js';
import { pathBounces } from './motion.js';
import { SeededRandom } from './random.js';
import { paintSoundRims, renderScene, type RenderedScene } from './render.js';
import { drawLayout, type SynthScene, type UnseenKindRule } from './scene.js';
import { assignSounds } from './sound.js';
import { SHAPE_KINDS, UNSEEN_KIND } from './vocabulary.js';

/**
 * What a video's expressions must be:
 * - `mixed`: referring and reasoning ones, at least one of each and at least one audio expression;
 * - `unseen`: like `mixed` (the scene has the held-out kind, which sounds), then only the expressions that refer to
 *   an object of the held-out kind are kept (RefAVS test_u);
 * - `null`: expressions that refer to nothing in the clip (RefAVS test_n).
 */
export type ExpressionRole = 'mixed' | 'unseen' | 'null';

export interface VideoSpec {
  name: string;
  seed: number;
  /** The video's position in the dataset; with `seed` it fixes the video's random stream. */
  index: number;
  width: number;
  height: number;
  frames: number;
  fps: number;
  unseenKind: UnseenKindRule;
  role: ExpressionRole;
}

export interface GeneratedVideo {
  scene: SynthScene;
  rendered: RenderedScene;
  expressions: SynthExpression[];
  /** Layouts drawn until one met every rule (1 = the first). */
  attempts: number;
}

export const MAX_EXPRESSIONS_PER_VIDEO = 8;
export const NULL_EXPRESSIONS_PER_VIDEO = 3;
const MAX_ATTEMPTS = 200;
const MIN_VISIBLE_FRAMES = 2;

/**
 * Generates one video from its own random stream `(seed, index)`, so a video does not depend on how many others
 * the dataset has. Layouts that break a rule (an object visible on fewer than 2 frames, a bounce that never shows,
 * no valid expression of a required kind) are drawn again from the same stream.
 */
export function generateVideo(spec: VideoSpec): GeneratedVideo {
  const rng = SeededRandom.fromSeed(spec.seed, spec.index);
  const kinds = SHAPE_KINDS.filter((kind) => spec.unseenKind !== 'exclude' || kind !== UNSEEN_KIND);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const scene = drawLayout(rng, { ...spec, unseenKind: spec.unseenKind });
    const rendered = renderScene(scene);
    const visibleEnough = rendered.visibleArea.every((areas) => areas.filter((area) => area > 0).length >= MIN_VISIBLE_FRAMES);
    const bouncesShow = scene.objects.every((object) => object.motion.kind !== 'bounce' || pathBounces(object.path));
    if (!visibleEnough || !bouncesShow) continue;
    const mustSound = spec.role === 'unseen' ? (object: { kind: string }) => object.kind === UNSEEN_KIND : undefined;
    if (!assignSounds(rng, scene, rendered, mustSound)) continue;
    paintSoundRims(scene, rendered);
    const expressions = chooseExpressions(rng, spec, scene, rendered, kinds);
    if (expressions) return { scene, rendered, expressions, attempts: attempt };
  }
  throw new OmniError(`could not draw a valid synthetic scene for ${spec.name} in ${MAX_ATTEMPTS} tries at ${spec.width}x${spec.height} with ${spec.frames} frames`, {
    hint: 'use a larger --size or more --frames',
  });
}

function chooseExpressions(
  rng: SeededRandom,
  spec: VideoSpec,
  scene: SynthScene,
  rendered: RenderedScene,
  kinds: readonly (typeof SHAPE_KINDS)[number][],
): SynthExpression[] | undefined {
  if (spec.role === 'null') {
    const nulls = selectExpressions(rng, nullExpressionCandidates(scene, kinds), NULL_EXPRESSIONS_PER_VIDEO);
    return nulls.length > 0 ? nulls : undefined;
  }
  const candidates = expressionCandidates(rng, scene, rendered);
  const hasAll =
    candidates.some((expression) => expression.typeId === REFERRING_TYPE) &&
    candidates.some((expression) => expression.typeId === REASONING_TYPE) &&
    candidates.some((expression) => expression.category === 'audio');
  if (!hasAll) return undefined;
  if (spec.role === 'unseen') {
    const unseenIds = new Set(scene.objects.filter((object) => object.kind === UNSEEN_KIND).map((object) => object.id));
    const kept = selectExpressions(
      rng,
      candidates.filter((expression) => expression.objectIds.some((id) => unseenIds.has(id))),
      MAX_EXPRESSIONS_PER_VIDEO,
    );
    return kept.length > 0 ? kept : undefined;
  }
  const selected = selectExpressions(rng, candidates, MAX_EXPRESSIONS_PER_VIDEO);
  // Selection visits every category before repeating one, so with at most 8 categories all required kinds are kept.
  return selected;
}
