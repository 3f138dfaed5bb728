import { migratedDatabase } from '../helpers/db';

export default async function setup(): Promise<void> {
  await migratedDatabase();
}
