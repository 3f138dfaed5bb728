import type { User } from '../db/users';

/** What the API answers and the cache holds: plain JSON, dates as ISO strings. */
export interface Profile {
  id: number;
  email: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export const toProfile = (user: User): Profile => ({
  id: user.id,
  email: user.email,
  name: user.name,
  createdAt: user.createdAt.toISOString(),
  updatedAt: user.updatedAt.toISOString(),
});
