import { defineConfig } from 'prisma/config';

// Only `generate`, `validate` and `format` run offline; migrations are applied by
// `npm run migrate` (src/db/migrate.ts), which keeps `_prisma_migrations` as Prisma does.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
