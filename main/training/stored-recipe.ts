/** A run's recipe as read back from the store: typed, without a second parse. */
import type { Recipe } from '../../app/recipe/schema';
import type { RunRecord } from '../store';

/**
 * Every recipe the store holds was parsed before it was written (runs.create and the CLI parse theirs at the boundary;
 * branch and applySteps parse the recipe they compose; revert keeps a prefix of a parsed one), and JSON keeps its
 * plain numbers, strings and arrays as they were, so it reads back as that Recipe.
 */
export function storedRecipe(run: Pick<RunRecord, 'recipe'>): Recipe {
  return run.recipe as Recipe;
}
