import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('CatalogStats', { description: 'How much data the service holds.' })
export class CatalogStatsType {
  @Field(() => Int, { description: 'Anime in the catalog.' })
  anime!: number;

  @Field(() => Int, { description: 'Users: dataset users and API users.' })
  users!: number;

  @Field(() => Int, { description: 'Explicit 1-10 ratings.' })
  ratings!: number;

  @Field(() => Int, { description: 'Watched but not rated (the source data\'s -1).' })
  watched!: number;
}
