/** Another product already has this SKU (the `Product_sku_key` unique index said so). */
export class SkuTakenError extends Error {
  override readonly name = 'SkuTakenError';
  constructor(readonly sku: string) {
    super(`SKU ${sku} is already taken`);
  }
}

/** The product names a category that does not exist (the foreign key said so). */
export class UnknownCategoryError extends Error {
  override readonly name = 'UnknownCategoryError';
  constructor(readonly categoryIds: number[]) {
    super(`no such category: ${categoryIds.join(', ')}`);
  }
}
