/** What every resolver receives. */
import type { Database } from '../db/database';

export interface GraphQLContext {
  db: Database;
}
