import { motionKey, motionPhrase } from './motion.js';
import type { SeededRandom } from './random.js';
import type { RenderedScene } from './render.js';
import { objectPixels, type SynthObject, type SynthScene } from './scene.js';
import { NEVER_HEARD_SOUND, OBJECT_COLOURS, SHAPE_PLURALS, SIZE_WORDS, TONES, toneByName, type ShapeKind } from './vocabulary.js';

/**
 * Expression kinds and their ReVOS `type_id`:
 * - referring (0): `appearance` ("the red triangle"), `motion` ("the square that stops moving"), `audio`
 *   ("the object making the high beep"), `group` ("all the circles") — the words name the target's own attributes;
 * - reasoning (1): `occlusion` ("the object hidden behind the blue square at the start"), `sound-order` ("the object
 *   that makes a sound first"), `same-colour` ("the shape that has the same colour as the object making the buzz") —
 *   the target follows only from relations between objects, over time or across modalities;
 * - `null` (2, ReVOS's "no target"): refers to nothing in the clip (RefAVS test_n only).
 */
export type ExpressionCategory = 'appearance' | 'motion' | 'audio' | 'group' | 'occlusion' | 'sound-order' | 'same-colour' | 'null';

export const REFERRING_TYPE = 0;
export const REASONING_TYPE = 1;
export const NULL_TYPE = 2;

export const EXPRESSION_TYPE: Record<ExpressionCategory, number> = {
  appearance: REFERRING_TYPE,
  motion: REFERRING_TYPE,
  audio: REFERRING_TYPE,
  group: REFERRING_TYPE,
  occlusion: REASONING_TYPE,
  'sound-order': REASONING_TYPE,
  'same-colour': REASONING_TYPE,
  null: NULL_TYPE,
};

export interface SynthExpression {
  text: string;
  category: ExpressionCategory;
  typeId: number;
  /** The objects referred to (ascending ids); empty for null expressions. */
  objectIds: number[];
  /**
   * The same objects described by their looks alone, as one frame shows them ("the small red circle"): the shortest
   * appearance description that names only the one referred object; `text` itself for groups, several objects and
   * null expressions. What System 2 is asked in the nano recipe (issue 10).
   */
  grounding: string;
}

type Predicate = (object: SynthObject) => boolean;

interface Description {
  text: string;
  matches: Predicate;
}

/** What the expression builder knows about a rendered scene. */
class SceneFacts {
  private readonly startPixels: Array<Set<number>>;

  constructor(
    readonly scene: SynthScene,
    readonly rendered: RenderedScene,
  ) {
    this.startPixels = scene.objects.map((object) => new Set(objectPixels(scene, object, 0)));
  }

  get objects(): SynthObject[] {
    return this.scene.objects;
  }

  /** In frame on frame 0 but with no visible pixel: covered by objects in front. */
  hiddenAtStart(object: SynthObject): boolean {
    return this.rendered.onScreenArea[object.id][0] > 0 && this.rendered.visibleArea[object.id][0] === 0;
  }

  /** Whether `front`, drawn over `back`, covers all of `back`'s pixels on frame 0. */
  coversAtStart(front: SynthObject, back: SynthObject): boolean {
    if (front.id <= back.id) return false;
    const covered = this.startPixels[front.id];
    for (const pixel of this.startPixels[back.id]) if (!covered.has(pixel)) return false;
    return true;
  }

  /** The ids matching a predicate, ascending. */
  select(predicate: Predicate): number[] {
    return this.objects.filter(predicate).map((object) => object.id);
  }

  /** A description picks out exactly `object`. */
  isUnique(description: Description, object: SynthObject): boolean {
    const ids = this.select(description.matches);
    return ids.length === 1 && ids[0] === object.id;
  }
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

/** Appearance descriptions of an object, shortest first. */
function appearanceDescriptions(object: SynthObject): Description[] {
  const { kind, colour, size } = object;
  return [
    { text: `the ${kind}`, matches: (other) => other.kind === kind },
    { text: `the ${colour} ${kind}`, matches: (other) => other.kind === kind && other.colour === colour },
    { text: `the ${SIZE_WORDS[size]} ${colour} ${kind}`, matches: (other) => other.kind === kind && other.colour === colour && other.size === size },
  ];
}

/** The shortest appearance description that names only `object`, if any. */
function shortestAppearance(facts: SceneFacts, object: SynthObject): Description | undefined {
  return appearanceDescriptions(object).find((description) => facts.isUnique(description, object));
}

function motionDescriptions(object: SynthObject): Description[] {
  const key = motionKey(object.motion);
  const phrase = motionPhrase(object.motion);
  const sameMotion: Predicate = (other) => motionKey(other.motion) === key;
  return [
    { text: `the object ${phrase}`, matches: sameMotion },
    { text: `the ${object.kind} ${phrase}`, matches: (other) => sameMotion(other) && other.kind === object.kind },
    {
      text: `the ${object.colour} ${object.kind} ${phrase}`,
      matches: (other) => sameMotion(other) && other.kind === object.kind && other.colour === object.colour,
    },
  ];
}

function soundDescription(object: SynthObject, template: 0 | 1): Description | undefined {
  const tone = object.sound?.tone;
  if (tone === undefined) return undefined;
  const phrase = toneByName(tone).phrase;
  return {
    text: template === 0 ? `the object making ${phrase}` : `the shape that makes ${phrase}`,
    matches: (other) => other.sound?.tone === tone,
  };
}

/**
 * Every expression of the referring and reasoning kinds that the scene supports, each checked to pick out exactly
 * its intended objects (the predicate behind the words is evaluated on every object of the scene).
 */
export function expressionCandidates(rng: SeededRandom, scene: SynthScene, rendered: RenderedScene): SynthExpression[] {
  const facts = new SceneFacts(scene, rendered);
  const found: SynthExpression[] = [];
  const add = (category: ExpressionCategory, text: string, objectIds: number[]): void => {
    if (objectIds.length > 0 && !found.some((expression) => expression.text === text)) {
      const single = objectIds.length === 1 ? facts.objects.find((object) => object.id === objectIds[0]) : undefined;
      const grounding = (single && shortestAppearance(facts, single)?.text) ?? text;
      found.push({ text, category, typeId: EXPRESSION_TYPE[category], objectIds, grounding });
    }
  };
  const addUnique = (category: ExpressionCategory, options: Description[], object: SynthObject): void => {
    const unique = options.filter((description) => facts.isUnique(description, object));
    if (unique.length > 0) add(category, rng.pick(unique).text, [object.id]);
  };

  for (const object of facts.objects) {
    addUnique('appearance', appearanceDescriptions(object), object);
    addUnique('motion', motionDescriptions(object), object);
    const sound = soundDescription(object, rng.chance(0.5) ? 0 : 1);
    if (sound) addUnique('audio', [sound], object);
  }

  for (const [kind, plural] of Object.entries(SHAPE_PLURALS) as Array<[ShapeKind, string]>) {
    const ids = facts.select((object) => object.kind === kind);
    if (ids.length >= 2) add('group', `all the ${plural}`, ids);
  }
  for (const { name } of OBJECT_COLOURS) {
    const ids = facts.select((object) => object.colour === name);
    if (ids.length >= 2) add('group', `the ${name} shapes`, ids);
  }

  for (const hidden of facts.objects.filter((object) => facts.hiddenAtStart(object))) {
    for (const front of facts.objects.filter((object) => facts.coversAtStart(object, hidden))) {
      const frontWords = shortestAppearance(facts, front);
      if (!frontWords) continue;
      const ids = facts.select((object) => facts.hiddenAtStart(object) && facts.coversAtStart(front, object));
      if (!sameIds(ids, [hidden.id])) continue;
      const text = rng.chance(0.5) ? `the object hidden behind ${frontWords.text} at the start` : `the shape that is hidden behind ${frontWords.text} at first`;
      add('occlusion', text, ids);
      break;
    }
  }

  const sounding = facts.objects.filter((object) => object.sound);
  if (sounding.length >= 2) {
    const onset = (object: SynthObject): number => object.sound?.start ?? Number.POSITIVE_INFINITY;
    const first = Math.min(...sounding.map(onset));
    const last = Math.max(...sounding.map(onset));
    const firstIds = facts.select((object) => object.sound !== undefined && onset(object) === first);
    const lastIds = facts.select((object) => object.sound !== undefined && onset(object) === last);
    if (firstIds.length === 1) add('sound-order', 'the object that makes a sound first', firstIds);
    if (lastIds.length === 1 && last !== first) add('sound-order', 'the last object to start making a sound', lastIds);
  }

  for (const reference of facts.objects) {
    const ids = facts.select((object) => object.id !== reference.id && object.colour === reference.colour);
    if (ids.length === 0) continue;
    // Name the reference without its colour, so the colour has to be looked up.
    const colourFree = [appearanceDescriptions(reference)[0], soundDescription(reference, 0), ...motionDescriptions(reference).slice(0, 2)].filter(
      (description): description is Description => description !== undefined && facts.isUnique(description, reference),
    );
    if (colourFree.length === 0) continue;
    const words = rng.pick(colourFree).text;
    const text = ids.length === 1 ? `the shape that has the same colour as ${words}` : `the shapes that have the same colour as ${words}`;
    add('same-colour', text, ids);
  }
  return found;
}

/** Expressions that match no object of the scene: a sound no one makes, or a colour and kind no object has. */
export function nullExpressionCandidates(scene: SynthScene, kinds: readonly ShapeKind[]): SynthExpression[] {
  const found: SynthExpression[] = [];
  const add = (text: string): void => {
    found.push({ text, category: 'null', typeId: NULL_TYPE, objectIds: [], grounding: text });
  };
  const heard = new Set(scene.objects.flatMap((object) => (object.sound ? [object.sound.tone] : [])));
  for (const tone of TONES) if (!heard.has(tone.name)) add(`the object making ${tone.phrase}`);
  add(`the object making ${NEVER_HEARD_SOUND}`);
  for (const kind of kinds) {
    for (const { name } of OBJECT_COLOURS) {
      if (!scene.objects.some((object) => object.kind === kind && object.colour === name)) add(`the ${name} ${kind}`);
    }
  }
  return found;
}

/**
 * Up to `limit` expressions, spread over categories: categories in random order, one random expression from
 * each in turn until the limit or the candidates run out.
 */
export function selectExpressions(rng: SeededRandom, candidates: readonly SynthExpression[], limit: number): SynthExpression[] {
  const byCategory = new Map<ExpressionCategory, SynthExpression[]>();
  for (const candidate of candidates) {
    const list = byCategory.get(candidate.category) ?? [];
    list.push(candidate);
    byCategory.set(candidate.category, list);
  }
  const queues = rng.shuffled([...byCategory.keys()]).map((category) => rng.shuffled(byCategory.get(category) ?? []));
  const selected: SynthExpression[] = [];
  while (selected.length < limit && queues.some((queue) => queue.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next && selected.length < limit) selected.push(next);
    }
  }
  return selected;
}
