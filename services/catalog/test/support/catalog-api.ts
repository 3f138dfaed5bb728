import { expect } from 'vitest';
import { freshSku } from '../helpers/db';
import { call } from './http';

export interface Product {
  id: number;
  sku: string;
  name: string;
  priceCents: number;
  categoryId: number;
  tags: string[];
  version: number;
}

/** POST /products with sensible defaults; fails the test unless it answers 201. */
export async function createProduct(url: string, fields: Partial<Omit<Product, 'id' | 'version'>> & { categoryId: number }): Promise<Product> {
  const reply = await call<Product>(`${url}/products`, {
    method: 'POST',
    json: { sku: freshSku(), name: 'Test product', priceCents: 1000, ...fields },
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply.body;
}

export async function patchProduct(url: string, id: number, changes: Record<string, unknown>): Promise<Product> {
  const reply = await call<Product>(`${url}/products/${id}`, { method: 'PATCH', json: changes });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}

/** Keys the service uses, from its key prefix: the tests check Redis behind its back. */
export function keysOf(prefix: string) {
  return {
    product: (id: number) => `${prefix}product:{${id}}:row`,
    rowVersion: (id: number) => `${prefix}product:{${id}}:rowver`,
    sku: (sku: string) => `${prefix}sku:{${sku}}:id`,
    generation: (categoryId: number) => `${prefix}category:{${categoryId}}:gen`,
    page: (categoryId: number, generation: number, page: number) => `${prefix}catpage:{${categoryId}.g${generation}.p${page}}:list`,
  };
}
