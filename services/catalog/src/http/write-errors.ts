import { HttpError } from '@cachelab/http-kit';
import { SkuTakenError, UnknownCategoryError } from '../db/errors';

/** The database's refusals of a product write, as client errors; anything else is rethrown. */
export function writeErrors(error: unknown): never {
  if (error instanceof SkuTakenError) throw new HttpError(409, 'sku_taken', error.message);
  if (error instanceof UnknownCategoryError) {
    throw new HttpError(422, 'unknown_category', error.message, { categoryIds: error.categoryIds });
  }
  throw error;
}
